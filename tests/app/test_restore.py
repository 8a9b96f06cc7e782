"""AppTest for the Denoise and inpaint page: every corruption (a drawn mask injected as canvas data), the score table
with its methods and columns, the PSNR sweep, and the page's answers to odd choices."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from aelab.analysis.restoration import REFERENCE
from aelab.data.corruption import CORRUPTION_INFO
from tests.apptest_helpers import run_app, texts, unmodelled_dataset

PAGE = "pages/restore.py"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))


def _methods(at) -> list[str]:
    return list(at.table[0].value.index)


def _columns(at) -> list[str]:
    return list(at.table[1].value.columns)


def _canvas_state(rgba: np.ndarray) -> dict:
    """What streamlit-drawable-canvas sends back after a stroke: its objects and the drawing as a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return {"drawing": {"raw": {"objects": [{"type": "path"}]},
                        "data": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}}


def test_every_corruption_shows_examples_and_a_scored_table():
    at = run_app(PAGE, restore_batch=40)
    assert at.selectbox(key="restore_corruption").value == "box"  # the page opens on the course's showcase
    at.selectbox(key="restore_corruption").set_value("gaussian").run()
    assert "Skipped (n/a) for gaussian noise" in texts(at)  # inpainting needs intact pixels
    assert "mean over images of each image's 10 log10(1 / MSE)" in texts(at)  # what PSNR means, said in the caption
    assert "**damaged pixels**" not in texts(at)  # every pixel: nothing to show
    methods = _methods(at)
    assert methods[0] == REFERENCE and {"ae", "denoising_ae", "Median filter 3x3"} <= set(methods)
    assert "MSE in mask" not in _columns(at) and not any("Telea" in m for m in methods)
    for name in [n for n, info in CORRUPTION_INFO.items() if info.strength is not None and info.local]:
        at.selectbox(key="restore_corruption").set_value(name).run()
        assert not at.exception, (name, [e.value for e in at.exception])
        methods = _methods(at)
        assert {"Telea inpainting (r=3)", "Navier-Stokes inpainting (r=3)", "denoising_ae + known pixels"} <= set(
            methods), name
        assert {"MSE", "PSNR (dB)", "SSIM", "MSE in mask", "PSNR in mask (dB)", "SSIM in mask"} <= set(_columns(at))
        table = at.table[1].value
        assert table["MSE"].notna().all() and (table["SSIM"] <= 1).all(), name
        assert at.slider(key=f"restore_strength_{name}").value == CORRUPTION_INFO[name].strength.default
        # non-local means removes additive noise: n/a, with the reason, where the corruption blanks pixels
        blanks = CORRUPTION_INFO[name].blanks
        assert ("Non-local means (h=auto)" in methods) != blanks, name
        assert ("a denoiser for additive noise" in texts(at)) == blanks, name
        assert "**corrupted**" in texts(at) and "**denoising_ae + known pixels**" in texts(at)
        assert "**damaged pixels**" in texts(at)


def test_box_at_a_chosen_place_in_grey_and_a_stronger_setting_rescore():
    at = run_app(PAGE, restore_batch=30, restore_corruption="box")
    before = at.table[1].value
    at.radio(key="restore_box_fill").set_value("grey").run()
    at.radio(key="restore_box_place").set_value("chosen").run()
    at.slider(key="restore_box_top").set_value(0).run()
    at.slider(key="restore_strength_box").set_value(16).run()
    assert not at.exception
    after = at.table[1].value
    assert after.loc[REFERENCE, "MSE"] != before.loc[REFERENCE, "MSE"]
    # a 16-pixel box at the top row leaves 12 places: the top/left sliders stay inside the image
    assert at.slider(key="restore_box_left").max == 12


def test_a_drawn_mask_is_read_from_the_canvas_and_scored():
    at = run_app(PAGE, restore_batch=30, restore_corruption="user_mask")
    assert "Draw on the canvas" in texts(at) and not at.table  # nothing drawn yet: a hint, no table
    drawing = np.zeros((280, 280, 4), np.uint8)
    drawing[100:180, 60:220] = (230, 97, 0, 255)  # 8 rows x 16 columns of 28x28 pixels
    at.session_state["restore_canvas"] = _canvas_state(drawing)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[1].value
    assert "Telea inpainting (r=3)" in table.index and "MSE in mask" in table.columns
    # the mask is the same for every image: every restoration changes something inside it
    assert table.loc[REFERENCE, "MSE in mask"] > table.loc[REFERENCE, "MSE"]
    assert "no strength to sweep" in texts(at)


def test_the_sweep_is_computed_on_demand_with_one_line_per_method():
    at = run_app(PAGE, restore_batch=20, restore_corruption="salt_and_pepper",
                 restore_models=["pretrained/denoising_ae"], restore_classic=["median"])
    assert not at.get("plotly_chart")
    at.button(key="restore_sweep").click().run()
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    import json

    figure = json.loads(charts[0].proto.spec)
    names = {trace["name"] for trace in figure["data"]}
    assert names == {REFERENCE, "denoising_ae", "denoising_ae + known pixels", "Median filter 3x3"}
    assert all(len(trace["x"]) == len(CORRUPTION_INFO["salt_and_pepper"].strength.sweep) for trace in figure["data"])
    at.radio(key="restore_sweep_column").set_value("PSNR in mask (dB)").run()
    assert not at.exception and at.button(key="restore_sweep").disabled  # stored: no need to press again


def test_no_method_chosen_or_known_pixels_off_is_handled():
    at = run_app(PAGE, restore_batch=20, restore_corruption="dropout", restore_models=[], restore_classic=[])
    assert "Choose at least one" in texts(at) and not at.exception
    at.multiselect(key="restore_models").set_value(["pretrained/ae"]).run()
    at.checkbox(key="restore_keep_known").uncheck().run()
    assert _methods(at) == [REFERENCE, "ae"]


def test_small_images_get_scaled_strengths_and_no_model_is_required():
    at = run_app(PAGE, **unmodelled_dataset(side=12), restore_batch=20, restore_corruption="box")
    assert not at.exception, [e.value for e in at.exception]
    slider = at.slider(key="restore_strength_box")
    assert slider.max == 9 and slider.value == 4  # a 10-pixel box (of 2-20) on 28x28 is a 4-pixel one (of 1-9) on 12x12
    assert at.multiselect(key="restore_models").value == []  # no 12x12 model anywhere
    assert "No model for 12x12 images" in texts(at)
    assert "Telea inpainting (r=3)" in _methods(at)


def test_the_bundled_8x8_digits_are_restored_by_their_shipped_models():
    at = run_app(PAGE, dataset="digits", restore_batch=20, restore_corruption="box")
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="restore_strength_box").value == 3  # a 10-pixel box on 28x28 is a 3-pixel box on 8x8
    assert at.multiselect(key="restore_models").value == ["pretrained/digits-ae"]  # chosen at first
    assert not at.exception and {"digits-ae", "digits-ae + known pixels"} <= set(_methods(at))
    table = at.table[1].value  # SSIM with its window shrunk to the 8x8 images
    assert table["SSIM"].between(-1, 1).all() and table["SSIM in mask"].notna().any()


def test_presenting_shows_four_big_rows_the_best_restorations_with_their_scores():
    at = run_app()
    at.query_params["present"] = "1"
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [str(m.value) for m in at.markdown if "dB, SSIM" in str(m.value) or m.value == "**clean**"]
    assert len(labels) == 4 and labels[0] == "**clean**" and labels[1].startswith("**corrupted")
    table = at.table[0].value
    models = [m for m in table.index if table.loc[m, "kind"] in ("autoencoder", "AE + known pixels")]
    best_model = max(models, key=lambda m: table.loc[m, "PSNR (dB)"])
    best_classic = table[table["kind"] == "classic"]["PSNR (dB)"].idxmax()
    assert labels[2].startswith(f"**{best_model}") and labels[3].startswith(f"**{best_classic}")
    assert f"PSNR {table.loc[best_model, 'PSNR (dB)']:.1f} dB" in labels[2]
    pictures = [image for element in at.get("image") for image in element.proto.imgs]
    assert len(pictures) == 4  # one row of 6 images each, nothing else drawn before the table
