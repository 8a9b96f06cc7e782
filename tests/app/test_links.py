"""AppTest of links that restore a view (ui/common/view_state.py): a page opened from a link takes its images, sliders
and choices from the query string; a bad or stale value gives one lasting warning and the default, never an error.
Also the Denoise page's compact score table (PSNR and SSIM first, the rest in an expander)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from aelab.views.codecs import Bool, Float, Int, LinkValueError
from aelab.views.values import ImageRef
from tests.apptest_helpers import REPO, unescaped


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))


def open_link(page: str, query: dict[str, str]) -> AppTest:
    """The app opened on page from a link carrying query (the page's first run is the session's first run)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.query_params.update(query)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def warnings(at: AppTest) -> str:
    """The page's warnings as they read (a link's own text is escaped in them, so no Markdown in it renders)."""
    return " | ".join(unescaped(w.value) for w in at.warning)


def test_codecs_take_valid_text_and_say_why_they_refuse_other_text():
    assert Int().parse("12") == 12 and Float().parse("2.5") == 2.5 and Bool().parse("1") is True
    for codec, raw in ((Int(), "nine"), (Float(), "nan"), (Float(), "inf"), (Bool(), "yes please")):
        with pytest.raises(LinkValueError, match="is not a valid value"):
            codec.parse(raw)
    with pytest.raises(LinkValueError, match="longer than"):
        Int().parse("1" * 5000)
    assert Float().format(0.1 + 0.2) == "0.3" and Bool().format(False) == "0"


def test_an_interpolate_link_restores_its_images_and_sliders_and_bad_values_fall_back_with_a_message():
    at = open_link("pages/interpolate.py", {"a": "test:5", "b": "test:99999", "steps": "5", "side": "many",
                                             "present": "1"})
    assert at.session_state["views"]["interpolate"].view.a == ImageRef(index=5)
    assert at.session_state["views"]["interpolate"].view.b is None  # the default B (test #1)
    assert at.slider(key="interpolate_steps").value == 5
    assert at.slider(key="interpolate_triangle_steps").value == 6
    said = warnings(at)
    assert "The link's b=test:99999 is not a test image index (0 to 999); showing test #1." in said
    assert "The link's side=many is not a valid value; showing the default (6)." in said
    assert at.query_params["a"] == "test:5" and at.query_params["steps"] == "5" and at.query_params["present"] == "1"
    assert "b" not in at.query_params and "side" not in at.query_params  # defaults stay out of the link
    assert at.session_state["present_mode"] is True

    at.slider(key="interpolate_triangle_steps").set_value(4).run()  # the user chose: the message has done its job
    assert "side=many" not in warnings(at) and "b=test:99999" in warnings(at)
    assert at.query_params["side"] == "4"


def test_a_denoise_link_restores_the_corruption_and_the_default_table_is_compact():
    at = open_link("pages/restore.py", {"kind": "gaussian", "strength": "0.5", "seed": "3", "n": "20"})
    assert at.selectbox(key="restore_corruption").value == "gaussian"
    assert at.slider(key="restore_strength_gaussian").value == 0.5
    assert at.number_input(key="restore_seed").value == 3 and at.number_input(key="restore_batch").value == 20
    assert not at.warning
    compact, full = at.table[0].value, at.table[1].value
    assert list(compact.columns) == ["kind", "PSNR (dB)", "SSIM"]
    assert compact.loc["(corrupted, not restored)", "kind"] == "input" and compact.loc["ae", "kind"] == "autoencoder"
    assert "ms / image" in full.columns and "MSE" in full.columns
    assert "**input**: the damaged image itself" in " ".join(c.value for c in at.caption)

    at = open_link("pages/restore.py", {"kind": "fog", "strength": "99", "n": "20"})
    assert at.selectbox(key="restore_corruption").value == "box"
    assert at.slider(key="restore_strength_box").value == 10  # a strength meant for another corruption is not read
    assert "The link's kind=fog is not one of the choices" in warnings(at)


def test_a_train_link_restores_the_variant_and_its_knobs_and_leaves_defaults_out():
    at = open_link("pages/train.py", {"variant": "vae", "latent": "16", "hidden": "256,64", "epochs": "5",
                                       "lr": "0.003", "batch": "64", "loss": "mse", "noise": "gaussian",
                                       "level": "0.4", "seed": "7", "beta": "2", "images": "300",
                                       "codes": "64", "l1": "0.5"})
    assert at.selectbox(key="train_variant").value == "vae"
    fields = {w.key: w.value for w in at.text_input}
    assert fields["knob_latent_dim"] == "16" and fields["knob_hidden"] == "256, 64"
    assert fields["knob_epochs"] == "5" and fields["knob_lr"] == "0.003" and fields["knob_batch_size"] == "64"
    assert fields["knob_seed"] == "7" and fields["knob_beta"] == "2" and fields["knob_n_train"] == "300"
    assert at.selectbox(key="knob_recon_loss").value == "mse"
    assert "knob_codebook_size" not in fields  # a VQ-VAE knob: the vae has none, so the link's codes is ignored
    # nor has a VAE the input noise, its level or the L1 weight (aelab.models.knobs says why)
    assert not {"knob_noise", "knob_noise_level", "knob_sparsity_weight"} & {w.key for w in [*at.text_input,
                                                                                           *at.selectbox]}
    assert not at.warning and not at.error
    assert at.query_params["variant"] == "vae" and at.query_params["epochs"] == "5"
    assert at.query_params["hidden"] == "256,64"
    assert not {"codes", "noise", "level", "l1"} & set(at.query_params)  # knobs of other variants leave the link

    at.text_input(key="knob_epochs").set_value("30").run()  # the vae's default: out of the link
    assert "epochs" not in at.query_params and at.query_params["lr"] == "0.003"
    at.selectbox(key="train_variant").set_value("vq_vae").run()  # a new variant: its own defaults, a short link
    assert at.query_params["variant"] == "vq_vae"
    assert not {"latent", "lr", "beta", "noise", "level", "codes"} & set(at.query_params)
    at.text_input(key="knob_codebook_size").set_value("32").run()
    assert at.query_params["codes"] == "32"


def test_a_train_link_with_bad_values_gives_one_message_each_and_the_defaults():
    at = open_link("pages/train.py", {"epochs": "0", "lr": "fast", "noise": "fog", "hidden": "64,-1"})
    assert at.selectbox(key="train_variant").value == "ae"
    assert at.text_input(key="knob_epochs").value == "20" and at.text_input(key="knob_lr").value == "0.001"
    assert at.selectbox(key="knob_noise").value == "none" and at.text_input(key="knob_hidden").value == "256, 128"
    said = warnings(at)
    assert "The link's epochs=0 is not a whole number from 1 to 10000; showing the default (20)." in said
    assert "The link's lr=fast is not a number above 0 and at most 10; showing the default (0.001)." in said
    assert "The link's noise=fog is not one of the choices (none," in said and "hidden=64,-1" in said
    assert len(at.warning) == 4 and not at.error
    assert not {"epochs", "lr", "noise", "hidden", "variant"} & set(at.query_params)
    at.text_input(key="knob_epochs").set_value("3").run()  # the user chose: that message has done its job
    assert "epochs=0" not in warnings(at) and len(at.warning) == 3 and at.query_params["epochs"] == "3"

    at = open_link("pages/train.py", {"variant": "bigvae", "epochs": "7"})
    assert at.selectbox(key="train_variant").value == "ae"
    assert at.text_input(key="knob_epochs").value == "20"  # the link's knobs were for another variant
    assert "The link's variant=bigvae is not one of the choices (ae, deep_ae" in warnings(at)
    assert "variant" not in at.query_params and "epochs" not in at.query_params


def test_a_denoise_link_restores_the_compared_methods_and_an_unknown_one_falls_back_with_a_message():
    at = open_link("pages/restore.py", {"models": "pretrained/ae", "classic": "median,telea", "n": "20"})
    assert at.multiselect(key="restore_models").value == ["pretrained/ae"]
    assert at.multiselect(key="restore_classic").value == ["median", "telea"]
    assert not at.warning
    assert at.query_params["models"] == "pretrained/ae" and at.query_params["classic"] == "median,telea"
    assert "ae" in at.table[0].value.index and "denoising_ae" not in at.table[0].value.index

    at = open_link("pages/restore.py", {"models": "library/gone,pretrained/ae", "n": "20"})
    defaults = ["pretrained/ae", "pretrained/denoising_ae", "pretrained/denoising_gaussian",
                "pretrained/denoising_mixed"]  # (the default digits-ae is for 8x8 images)
    assert at.multiselect(key="restore_models").value == defaults
    said = warnings(at)
    assert "The link's models=library/gone,pretrained/ae names 'library/gone', not on offer here; showing the " \
           "default." in said
    assert "models" not in at.query_params  # the default stays out of the link
    at.multiselect(key="restore_models").unselect("pretrained/denoising_mixed").run()  # the user chose
    assert "library/gone" not in warnings(at)
    assert at.query_params["models"] == "pretrained/ae,pretrained/denoising_ae,pretrained/denoising_gaussian"


def test_an_anomalies_link_restores_its_sets_and_an_unknown_set_falls_back_with_a_message():
    at = open_link("pages/anomalies.py", {"sets": "inverted digits"})
    assert at.multiselect(key="anomaly_sets").value == ["inverted digits"]
    assert not at.warning and at.query_params["sets"] == "inverted digits"

    at = open_link("pages/anomalies.py", {"sets": "inverted digits,cats"})
    chosen = at.multiselect(key="anomaly_sets")
    assert chosen.value == chosen.options and "sets" not in at.query_params
    assert "The link's sets=inverted digits,cats names 'cats', not on offer here; showing the default." in warnings(at)
