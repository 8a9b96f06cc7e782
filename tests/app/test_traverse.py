"""AppTest of the Traverse page: a slider move re-decodes exactly the moved code, Reset and a new start image put
the code back, each range mode gives its documented slider limits, "show all" shows every dimension, and the grid
PNG and the sweep GIF are valid (the GIF animated, with the right frame count)."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from aelab.analysis.images import enlarge, to_uint8
from aelab.analysis.latent import decode, encode_dataset, importance_order, kl_per_dimension
from aelab.data.sources import load_dataset
from aelab.library.store import load_model
from tests.apptest_helpers import REPO, download, run_app, texts
from ui.traverse import IMAGE_SCALE

PAGE = "pages/traverse.py"
DECODED_CAPTION = "decoded from the sliders' code"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))
    monkeypatch.setenv("AELAB_LIVE", "0")  # the server path (Streamlit's sliders); the live one: test_live_traverse.py


@pytest.fixture(scope="module")
def vae():
    """The pretrained VAE, the test split, its codes and the KL order of its dimensions."""
    model = load_model(REPO / "pretrained" / "vae").model
    x_test = load_dataset("mnist-5k").x_test
    codes = encode_dataset(model, x_test)
    return model, x_test, codes, importance_order(kl_per_dimension(model, x_test))


def shown_image(at, caption: str, media: dict[str, bytes]) -> np.ndarray:
    """The pixels of the page's image with that caption, as the browser receives them."""
    for element in at.get("image"):
        for image in element.proto.imgs:
            if image.caption == caption:
                return np.asarray(Image.open(io.BytesIO(media[image.url.rsplit("/", 1)[-1].split(".")[0]])))
    raise AssertionError(f"no image captioned {caption!r}")


def image_captions(at) -> list[str]:
    return [image.caption for element in at.get("image") for image in element.proto.imgs]


def key(dim: int) -> str:
    """A latent slider's widget key: named like its label, 1-based (dimension index 0 is z1)."""
    return f"traverse_z{dim + 1}"


def expected_picture(model, z: torch.Tensor) -> np.ndarray:
    return enlarge(to_uint8(decode(model, z.reshape(1, -1))[0, 0]), IMAGE_SCALE)


def test_slider_move_decodes_the_moved_code_and_reset_puts_it_back(vae, media):
    model, x_test, codes, order = vae
    at = run_app(PAGE, model_key="pretrained/vae")
    z0 = codes[0]
    # sliders are ordered by KL, most used first; each starts at test image #0's own code
    sliders = [s for s in at.slider if s.key.startswith("traverse_z")]
    labels = [s.label.split()[0] for s in sliders]
    assert sorted(labels, key=lambda name: order.index(int(name[1:]) - 1)) == [f"z{d + 1}" for d in order[:8]]
    assert all(s.key == f"traverse_{label}" for s, label in zip(sliders, labels))  # key and label name one z
    assert "z0" not in labels
    assert np.array_equal(shown_image(at, DECODED_CAPTION, media), expected_picture(model, z0))
    assert "no slider moved yet" in texts(at)

    top = order[0]
    slider = at.slider(key=key(top))
    new_value = round(slider.max - 0.01, 2)
    slider.set_value(new_value).run()
    assert not at.exception
    moved = z0.clone()
    moved[top] = new_value
    after = shown_image(at, DECODED_CAPTION, media)
    assert np.array_equal(after, expected_picture(model, moved))
    assert not np.array_equal(after, expected_picture(model, z0)), "moving the top dimension changes the image"
    assert f"moved: z{top + 1}" in texts(at)
    assert f"= {abs(new_value - float(z0[top])):.2f}" in texts(at)

    at.button(key="traverse_reset").click().run()
    assert abs(at.slider(key=key(top)).value - float(z0[top])) < 1e-6
    assert np.array_equal(shown_image(at, DECODED_CAPTION, media), expected_picture(model, z0))


def test_a_new_start_image_resets_the_sliders_to_its_code(vae):
    model, x_test, codes, order = vae
    at = run_app(PAGE, model_key="pretrained/vae")
    at.slider(key=key(order[1])).set_value(0.0).run()
    at.selectbox(key="traverse_start_label").set_value(-1).run()
    at.number_input(key="traverse_start_pos").set_value(7).run()
    assert not at.exception and "test #7 (7) and its reconstruction" in image_captions(at)
    for dim in order[:8]:
        assert abs(at.slider(key=key(dim)).value - float(codes[7, dim])) < 1e-5


def test_range_modes_give_their_documented_limits(vae):
    model, x_test, codes, order = vae
    at = run_app(PAGE, model_key="pretrained/vae")
    z0 = codes[0]

    def limits(dim: int) -> tuple[float, float]:
        slider = at.slider(key=key(dim))
        return slider.min, slider.max

    # mean +- k std of the test codes (k = 3), rounded outwards to 3 decimals, widened to hold the start code
    for dim in order[:8]:
        mean, std = float(codes[:, dim].mean()), float(codes[:, dim].std())
        low, high = min(mean - 3 * std, float(z0[dim])), max(mean + 3 * std, float(z0[dim]))
        assert limits(dim) == (math.floor(low * 1000) / 1000, math.ceil(high * 1000) / 1000)
    # the prior's quantiles: -k..k (Phi(-2)..Phi(2) = 2.3%..97.7% for k = 2)
    at.radio(key="traverse_range").set_value("prior").run()
    at.number_input(key="traverse_k").set_value(2.0).run()
    for dim in order[:8]:
        low, high = limits(dim)
        assert low == math.floor(min(-2.0, float(z0[dim])) * 1000) / 1000
        assert high == math.ceil(max(2.0, float(z0[dim])) * 1000) / 1000
    # the data's min .. max (which always holds a test image's code)
    at.radio(key="traverse_range").set_value("minmax").run()
    assert not at.exception
    for dim in order[:8]:
        assert limits(dim) == (math.floor(float(codes[:, dim].min()) * 1000) / 1000,
                               math.ceil(float(codes[:, dim].max()) * 1000) / 1000)


def test_plain_ae_orders_by_variance_warns_about_the_prior_and_shows_all_dimensions():
    at = run_app(PAGE, model_key="pretrained/ae")
    assert "variance of the codes" in texts(at)
    assert len([s for s in at.slider if s.key.startswith("traverse_z")]) == 8
    at.toggle(key="traverse_show_all").set_value(True).run()
    assert len([s for s in at.slider if s.key.startswith("traverse_z")]) == 16
    at.radio(key="traverse_range").set_value("prior").run()
    assert not at.exception and "not a VAE" in texts(at)


def test_grid_png_and_sweep_gif(vae, media):
    at = run_app(PAGE, model_key="pretrained/vae")
    png = download(at, "traverse_grid_png", media)
    cell = (28 + 2) * 3
    assert png.format == "PNG" and png.mode == "RGB"
    assert png.size == (9 * cell + 2 * 3, 8 * cell + 2 * 3)  # 8 rows x 9 columns, padding 2, scale 3
    # the centre column's frame is coloured, the other paddings are white
    pixels = np.asarray(png)
    assert tuple(pixels[0, 4 * cell + 1]) == (204, 102, 119) and tuple(pixels[0, 1]) == (255, 255, 255)

    gif = download(at, "traverse_sweep_gif", media)
    top = f"z{vae[3][0] + 1}"  # the GIF sweeps the most used dimension, named 1-based everywhere
    assert at.download_button(key="traverse_sweep_gif").label == f"Download the {top} sweep (GIF)"
    dim_box = at.selectbox(key="traverse_gif_dim")
    assert dim_box.options[dim_box.index] == top and "z0" not in dim_box.options
    assert f"Rows, top to bottom: {top}, " in " ".join(image_captions(at))
    assert f"{top} swept from its low to its high value and back" in image_captions(at)
    assert gif.format == "GIF" and gif.is_animated and gif.n_frames == 2 * 17 - 2  # 17 frames there and back

    at.slider(key="traverse_grid_rows").set_value(3).run()
    at.slider(key="traverse_grid_steps").set_value(5).run()
    assert download(at, "traverse_grid_png", media).size == (5 * cell + 6, 3 * cell + 6)


def test_a_2d_model_has_two_sliders_and_no_show_all():
    at = run_app(PAGE, model_key="pretrained/vae-2d")
    assert sorted(s.key for s in at.slider if s.key.startswith("traverse_z")) == ["traverse_z1", "traverse_z2"]
    assert at.toggle(key="traverse_show_all").disabled


def test_the_latent_pages_kept_selection_becomes_the_start(vae):
    model, x_test, codes, order = vae
    at = run_app(PAGE, model_key="pretrained/vae", latent_selection={"dataset": "mnist-5k", "indices": [42, 3]})
    at.button(key="traverse_use_selection").click().run()
    assert not at.exception and any(c.startswith("test #42 (") for c in image_captions(at))
    assert abs(at.slider(key=key(order[0])).value - float(codes[42, order[0]])) < 1e-5
    # a selection made on another dataset is not offered
    other = run_app(PAGE, model_key="pretrained/vae", latent_selection={"dataset": "digits", "indices": [42]})
    assert "Tip: select 1 or more points" in texts(other)
