"""AppTest for the Lessons page: every section renders and shows its key numbers; buttons train and recompute."""
from __future__ import annotations

import functools
import json
import re

import pytest

from aelab.lessons import bottleneck, rate
from tests.apptest_helpers import rerun_until, run_app, texts, unmodelled_dataset

PAGE = "pages/lessons.py"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def degrees(value: str) -> float:
    return float(value.rstrip("°"))


def switch(at, section: str):
    at.segmented_control(key="lessons_section").set_value(section).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_bundled_digits_open_the_pca_section_on_their_shipped_linear_ae():
    at = run_app(PAGE, dataset="digits")
    assert "Linear AE: **the pretrained digits-linear_ae**" in texts(at)
    assert degrees(metrics(at)["Largest principal angle"]) < 5


def test_pca_section_opens_on_the_pretrained_linear_ae_with_near_zero_angles():
    at = run_app(PAGE)
    shown = metrics(at)
    assert "Linear AE: **the pretrained linear_ae**" in texts(at)
    assert degrees(shown["Median principal angle"]) < 2 and degrees(shown["Largest principal angle"]) < 15
    assert float(shown["PCA test MSE"]) <= float(shown["Linear AE test MSE"])
    assert len(at.get("plotly_chart")) == 2  # the angles, and the |cosine| bars (before the tied model exists)
    assert "span the same space but are not the same images" in texts(at)
    assert "Train the tied version to add its bars" in texts(at)
    assert any("Z = X W" in latex.value for latex in at.latex)


def test_pca_section_trains_a_linear_ae_and_the_tied_version_on_demand():
    at = run_app(PAGE)
    at.select_slider(key="lessons_pca_d").set_value(4).run()
    assert "No linear AE with a 4-number code" in texts(at)  # the pretrained one has 16
    at.number_input(key="lessons_pca_epochs").set_value(12).run()
    at.button(key="lessons_button_linear").click().run()
    rerun_until(at, lambda a: "Linear AE: **trained here**" in texts(a), timeout=120)
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3  # + the angles per epoch
    at.button(key="lessons_button_tied").click().run()
    rerun_until(at, lambda a: "Mean |cosine|, tied + decay (SVD)" in metrics(a), timeout=120)
    shown = metrics(at)
    assert float(shown["Mean |cosine|, tied + decay (SVD)"]) > 0.9
    assert float(shown["Mean |cosine|, plain (best match)"]) < float(shown["Mean |cosine|, tied + decay (SVD)"])
    assert "closest are" in texts(at)


def test_kmeans_section_shows_codes_centroids_and_errors_next_to_pca_and_an_ae():
    at = switch(run_app(PAGE), "kmeans")
    at.select_slider(key="lessons_k").set_value(8).run()
    at.select_slider(key="lessons_temperature").set_value(2.0).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["method"]) == ["k-means", "soft k-means", "PCA", "MLP autoencoder"]
    errors = dict(zip(table["method"], table["test MSE per pixel"]))
    assert errors["PCA"] < errors["k-means"] and errors["MLP autoencoder"] < errors["k-means"]  # from the sweep
    text = texts(at)
    assert "exactly one 1 (sums: 1, 1, 1, 1)" in text and "sums to 1 (sums: 1.000, 1.000, 1.000, 1.000)" in text
    assert len(at.get("plotly_chart")) == 8  # a hard and a soft code for each of 4 images


def test_bottleneck_section_opens_on_the_shipped_sweep():
    at = switch(run_app(PAGE), "bottleneck")
    assert "Result built by `python -m aelab build-lessons`" in texts(at)
    assert len(at.get("plotly_chart")) == 1
    at.select_slider(key="lessons_sweep_size").set_value(2).run()
    shown = texts(at)
    pca_error = bottleneck.load_sweep("mnist-5k").test_mse["pca"][0]
    assert f"{pca_error:.4f}" in shown and "**conv AE**" in shown


def test_the_bundled_digits_show_their_shipped_sweep():
    at = switch(run_app(PAGE, dataset="digits"), "bottleneck")
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert "built by `python -m aelab build-lessons`" in texts(at) and "1,438 training images" in texts(at)


def test_bottleneck_section_computes_the_sweep_for_another_dataset(monkeypatch):
    quick = (bottleneck.SweepMethod("pca", "PCA", "pca"),
             bottleneck.SweepMethod("mlp_ae", "MLP AE", "ae", steps=12))
    from ui.lessons import bottleneck as lessons_bottleneck

    monkeypatch.setattr(lessons_bottleneck, "bottleneck_sweep",
                        functools.partial(bottleneck.bottleneck_sweep, methods=quick, sizes=(2, 4, 8)))
    at = switch(run_app(PAGE, **unmodelled_dataset(side=12, n_train=200, n_test=50)), "bottleneck")
    assert "No sweep for upload:unmodelled.npz yet" in texts(at)
    at.button(key="lessons_button_sweep").click().run()
    rerun_until(at, lambda a: "Result computed here" in texts(a), timeout=120)
    assert not at.exception and len(at.get("plotly_chart")) == 1
    assert at.button(key="lessons_button_sweep").label.startswith("Recompute")


def test_the_bundled_digits_show_their_shipped_copy_demo():
    at = switch(run_app(PAGE, dataset="digits"), "copy")
    assert not at.exception and len(at.dataframe[0].value) == 4
    assert "built by `python -m aelab build-lessons`" in texts(at)


def test_copy_section_shows_the_over_complete_ae_copying_noise():
    at = switch(run_app(PAGE), "copy")
    table = at.dataframe[0].value
    noise = dict(zip(table["model"], table["noise: MSE"]))
    over = next(v for k, v in noise.items() if k.startswith("over-complete AE"))
    assert all(over < 0.4 * v for k, v in noise.items() if not k.startswith("over-complete AE"))
    ratios = re.findall(r"(\d+\.\d)x lower", texts(at))
    assert len(ratios) == 2 and all(float(r) > 2.5 for r in ratios)
    before = table["noise: MSE"].tolist()
    at.button(key="lessons_new_noise").click().run()
    assert at.dataframe[0].value["noise: MSE"].tolist() != before  # new noise images, new numbers


def test_copy_section_trains_the_demo_models_for_another_dataset():
    at = switch(run_app(PAGE, **unmodelled_dataset(side=12, n_train=200, n_test=50)), "copy")
    assert "No demo models for upload:unmodelled.npz yet" in texts(at)
    at.button(key="lessons_button_copy").click().run()
    rerun_until(at, lambda a: len(a.dataframe) == 1, timeout=180)
    assert not at.exception and "Models trained here" in texts(at)
    assert len(at.dataframe[0].value) == 4


def test_weights_section_draws_two_models_and_conv_kernels():
    at = switch(run_app(PAGE), "weights")
    captions = [caption for element in at.get("image") for caption in element.captions]
    assert len(captions) == 2 and "256 first-layer units: the 64 with the largest weights" in captions[0], captions
    assert "**ae** (ae, the sidebar's model)" in texts(at) and "**denoising_ae**" in texts(at)
    at.selectbox(key="lessons_other_model").set_value("pretrained/conv_ae").run()
    at.radio(key="lessons_tile_colours").set_value("grey").run()
    at.select_slider(key="lessons_n_tiles").set_value(16).run()
    assert not at.exception and "**conv_ae**" in texts(at)
    captions = [caption for element in at.get("image") for caption in element.captions]
    assert "32 kernels of 3x3 pixels: the 16 with the largest weights" in captions[1], captions


def test_weights_and_pca_sections_without_a_fitting_model():
    at = switch(run_app(PAGE, **unmodelled_dataset()), "weights")
    assert "No model fits this dataset yet" in texts(at)
    at = switch(at, "pca")
    assert "No linear AE with a 16-number code for upload:unmodelled.npz yet" in texts(at)


def test_section_comes_from_the_url_and_a_bad_one_falls_back():
    at = run_app()
    at.query_params["section"] = "copy"
    at.switch_page(PAGE).run()
    assert "Under- and over-complete" in texts(at)
    other = run_app()
    other.query_params["section"] = "no-such-lesson"
    other.switch_page(PAGE).run()
    assert not other.exception and "PCA is a linear autoencoder" in texts(other)


def test_clicking_the_chosen_section_again_keeps_it():
    at = switch(run_app(PAGE), "kmeans")
    at.segmented_control(key="lessons_section").set_value(None).run()
    assert not at.exception and at.segmented_control(key="lessons_section").value == "kmeans"
    assert "k-means and soft k-means are autoencoders" in texts(at)


def test_every_section_explains_what_a_tiny_upload_cannot_show():
    import torch

    from aelab.data.sources import Dataset

    tiny = Dataset("upload:tiny.npz", torch.rand(1, 1, 4, 4), torch.zeros(1, dtype=torch.int64),
                   torch.rand(1, 1, 4, 4), torch.zeros(1, dtype=torch.int64), ("0",))
    at = run_app(PAGE, uploads={"upload:tiny.npz": tiny}, dataset="upload:tiny.npz")
    assert "too few images or pixels" in texts(at)
    for section, message in (("kmeans", "too few training images"), ("bottleneck", "No sweep for upload:tiny.npz"),
                             ("copy", "No demo models for upload:tiny.npz"), ("weights", "No model fits"),
                             ("rate", "No VAE trained on upload:tiny.npz yet")):
        assert message in texts(switch(at, section)), section


# ------------------------------------------------------------------------------------------ rate and distortion
def figure(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key)).proto.spec)


def traces(at) -> dict[str, dict]:
    return {trace.get("name"): trace for trace in figure(at, "lessons_rate_chart")["data"]}


@pytest.mark.parametrize("dataset", ["mnist-5k", "shapes"])
def test_the_rate_section_draws_one_point_per_shipped_beta(dataset):
    at = run_app()
    at.query_params.update({"section": "rate", "data": dataset})  # a lesson's own link
    at.switch_page(PAGE).run()
    assert not at.exception and "What beta trades: rate and distortion" in texts(at)
    shipped = rate.load_sweep(dataset).points
    sweep = traces(at)["shipped beta sweep"]
    assert sweep["x"] == pytest.approx([p.rate for p in sorted(shipped, key=lambda p: (p.beta, p.name))])
    assert sweep["text"] == [f"β {p.beta:g}" for p in sorted(shipped, key=lambda p: (p.beta, p.name))]
    assert any(r"\mathcal{L}_\beta &= D + \beta\,R" in latex.value for latex in at.latex)


def test_the_rate_section_measures_the_model_lists_vaes_and_shows_the_selected_points_kl():
    at = run_app()
    at.query_params["section"] = "rate"
    at.switch_page(PAGE).run()
    listed = traces(at)["models in the Model list"]
    assert sorted(listed["customdata"]) == ["vae  (vae, pretrained)", "vae-2d  (vae, pretrained)"]
    assert "1 conditional VAE left out" in texts(at)
    assert metrics(at)["Active units"] == "16 of 16"  # the shipped sweep's beta 1, chosen first
    at.selectbox(key="lessons_rate_point").set_value("vae-2d  (vae, pretrained)").run()
    assert metrics(at)["Active units"] == "2 of 2" and len(figure(at, "lessons_rate_kl")["data"][0]["x"]) == 2
    ringed = traces(at)["selected: vae-2d  (vae, pretrained)"]  # the chart rings it in the same run
    assert ringed["x"] == pytest.approx([listed["x"][listed["customdata"].index("vae-2d  (vae, pretrained)")]])


def test_the_rate_section_trains_one_more_beta_on_demand(monkeypatch):
    monkeypatch.setattr(rate, "SWEEP_EPOCHS", 1)  # the recipe, one epoch (the page reads it when it trains)
    at = run_app(PAGE, dataset="digits")
    at = switch(at, "rate")
    at.number_input(key="lessons_rate_beta").set_value(0.5).run()
    at.button(key="lessons_rate_train").click().run()
    rerun_until(at, lambda a: "trained here" in traces(a) if a.get("plotly_chart") else False, timeout=180)
    point = traces(at)["trained here"]
    assert point["text"] == ["β 0.5"] and not at.exception
