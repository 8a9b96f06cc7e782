"""AppTest of the Interpolate page: frames per row, their ends, slerp norms, the GIF and PNG downloads, the three-way
triangle, and the Latent Space page's selection as the two images."""
from __future__ import annotations

import re

import pytest
import torch
from streamlit.elements.plotly_chart import PlotlySelectionState
from streamlit.typing import PlotlyState

from aelab.data.sources import load_dataset
from aelab.analysis.latent import decode, encode_dataset, reconstruction_errors
from aelab.library.store import load_model
from tests.apptest_helpers import REPO, download, media, run_app, texts  # noqa: F401 (media is a fixture)

PAGE = "pages/interpolate.py"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))


def test_vae_rows_end_on_a_and_b_slerp_keeps_norms_and_gif_has_n_frames(media):
    at = run_app(PAGE, model_key="pretrained/vae")
    state = at.session_state["interpolate_rows"]
    frames, codes = state["frames"], state["codes"]
    assert state["steps"] == 9 and set(frames) == {"pixel blend", "latent (linear)", "latent (slerp)"}
    assert all(x.shape == (9, 1, 28, 28) for x in frames.values())
    assert "9 frames per row" in texts(at)

    # The ends are A and B (test #0 and #1 by default): their codes, and the images decoded from those codes.
    record = load_model(REPO / "pretrained" / "vae")
    x_test = load_dataset("mnist-5k").x_test
    x_ab = x_test[[0, 1]]
    z_ab = encode_dataset(record.model, x_ab)
    ends_decoded = decode(record.model, z_ab)
    for name in ("latent (linear)", "latent (slerp)"):
        assert torch.allclose(codes[name][[0, -1]], z_ab, atol=1e-5), name
        assert torch.allclose(frames[name][[0, -1]], ends_decoded, atol=1e-5), name
    assert torch.allclose(frames["pixel blend"][[0, -1]], x_ab)

    norms = codes["latent (slerp)"].norm(dim=1)
    low, high = sorted(float(n) for n in z_ab.norm(dim=1))
    assert ((norms >= low - 1e-5) & (norms <= high + 1e-5)).all()
    # ...whereas the straight line between two codes dips towards the origin in the middle
    assert float(codes["latent (linear)"][4].norm()) < float(norms[4])

    gif = download(at, "interpolate_gif", media)
    assert gif.format == "GIF" and gif.is_animated and gif.n_frames == 9
    png = download(at, "interpolate_png", media)
    assert png.format == "PNG" and png.size[0] > 9 * 28 * 3 and png.size[1] > 3 * 28 * 3  # 3 rows of 9 frames

    at.slider(key="interpolate_steps").set_value(5).run()
    assert not at.exception
    state = at.session_state["interpolate_rows"]
    assert state["steps"] == 5 and all(x.shape[0] == 5 for x in state["frames"].values())
    assert "5 frames per row" in texts(at)
    assert download(at, "interpolate_gif", media).n_frames == 5


def test_plain_ae_has_no_slerp_row_and_pixel_blends_leave_the_manifold():
    at = run_app(PAGE, model_key="pretrained/ae")
    frames = at.session_state["interpolate_rows"]["frames"]
    assert set(frames) == {"pixel blend", "latent (linear)"}
    assert "not a VAE" in texts(at)
    # The middle of a pixel blend (two ghost digits) is reconstructed worse than the middle of the latent path.
    model = load_model(REPO / "pretrained" / "ae").model
    blend_error = reconstruction_errors(model, frames["pixel blend"][3:6]).mean()
    latent_error = reconstruction_errors(model, frames["latent (linear)"][3:6]).mean()
    assert blend_error > 2 * latent_error
    assert len(at.get("plotly_chart")) == 2  # the error chart and the path map


def test_triangle_size_follows_its_slider():
    at = run_app(PAGE, model_key="pretrained/vae-2d")
    assert "21 decoded mixtures" in texts(at)
    corners = next(c.value for c in at.caption if c.value.startswith("A, B, C:"))
    assert len(set(re.findall(r"\((\w+)\)", corners))) == 3  # by default C is a third digit, not A's or B's again
    at.slider(key="interpolate_triangle_steps").set_value(4).run()
    assert not at.exception and "10 decoded mixtures" in texts(at)


def test_latent_page_selection_fills_a_and_b():
    at = run_app(PAGE, model_key="pretrained/vae")
    points = [{"customdata": [5], "point_index": 0}, {"customdata": [9], "point_index": 1},
              {"customdata": [12], "point_index": 2}]
    at.session_state["scatter"] = PlotlyState({"selection": PlotlySelectionState(
        {"points": points, "point_indices": [0, 1, 2], "box": [], "lasso": []})})
    at.run()
    at.button(key="interpolate_use_selection").click().run()
    assert not at.exception
    assert "from test #5" in texts(at) and "test #9" in texts(at)
    at.button(key="interpolate_use_selection_3").click().run()
    assert "test #12" in texts(at)


def test_home_card_links_the_page_and_draws_its_picture():
    at = run_app(None, model_key="pretrained/ae")
    assert not at.exception
    assert any("Interpolate" in str(getattr(link, "proto", "")) for link in at.get("page_link"))
    assert "pixel blend (top) vs. decoded latent path (bottom)" in "".join(str(image.proto) for image in at.get("image"))
