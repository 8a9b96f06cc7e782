"""AppTest of the Interpolate page: frames per row, their ends, slerp norms, the GIF and PNG downloads, the three-way
triangle, and the Latent Space page's selection as the two images."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from aelab.analysis.latent import decode, encode_dataset, reconstruction_errors
from aelab.data.sources import load_dataset
from aelab.library.store import load_model
from tests.apptest_helpers import REPO, download, run_app, texts
from ui.interpolate import FRAME_SCALE

PAGE = "pages/interpolate.py"
PADDING = 2  # aelab.analysis.images.grid's, between frames


def shown_rows(at, media, side: int = 28) -> torch.Tensor:
    """The rows of frames as the user downloads them (the lossless PNG): (rows, steps, 1, side, side) in [0, 1]."""
    picture = np.asarray(download(at, "interpolate_png", media).convert("L"))[::FRAME_SCALE, ::FRAME_SCALE]
    cell = side + PADDING
    rows, steps = (picture.shape[0] - PADDING) // cell, (picture.shape[1] - PADDING) // cell
    frames = [[picture[PADDING + r * cell:PADDING + r * cell + side, PADDING + c * cell:PADDING + c * cell + side]
               for c in range(steps)] for r in range(rows)]
    return torch.from_numpy(np.array(frames, dtype=np.float32) / 255.0).unsqueeze(2)


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))


def test_vae_rows_end_on_a_and_b_slerp_keeps_norms_and_gif_has_n_frames(media):
    at = run_app(PAGE, model_key="pretrained/vae")
    rows = shown_rows(at, media)  # pixel blend, latent (linear), latent (slerp)
    assert rows.shape == (3, 9, 1, 28, 28)
    assert [m.value for m in at.markdown if m.value in ("**pixel blend**", "**latent (linear)**",
                                                         "**latent (slerp)**")] == [
        "**pixel blend**", "**latent (linear)**", "**latent (slerp)**"]
    assert "9 frames per row" in texts(at)

    # The ends are A and B (test #0 and #1 by default): the images decoded from their codes (to a grey level).
    record = load_model(REPO / "pretrained" / "vae")
    x_test = load_dataset("mnist-5k").x_test
    x_ab = x_test[[0, 1]]
    ends_decoded = decode(record.model, encode_dataset(record.model, x_ab))
    for row in (1, 2):
        assert torch.allclose(rows[row][[0, -1]], ends_decoded, atol=1 / 255 + 1e-6), row
    assert torch.allclose(rows[0][[0, -1]], x_ab, atol=1 / 255 + 1e-6)
    # Between the ends the two latent paths differ (slerp keeps the norm, the straight line dips; see
    # tests/unit/test_latent_paths.py for the codes themselves).
    assert (rows[1][4] - rows[2][4]).abs().max() > 0.05

    gif = download(at, "interpolate_gif", media)
    assert gif.format == "GIF" and gif.is_animated and gif.n_frames == 9
    png = download(at, "interpolate_png", media)
    assert png.format == "PNG" and png.size[0] > 9 * 28 * 3 and png.size[1] > 3 * 28 * 3  # 3 rows of 9 frames

    at.slider(key="interpolate_steps").set_value(5).run()
    assert not at.exception
    assert shown_rows(at, media).shape == (3, 5, 1, 28, 28)
    assert "5 frames per row" in texts(at)
    assert download(at, "interpolate_gif", media).n_frames == 5


def test_plain_ae_has_no_slerp_row_and_pixel_blends_leave_the_manifold(media):
    at = run_app(PAGE, model_key="pretrained/ae")
    blend, latent = shown_rows(at, media)  # two rows: no slerp
    assert "**latent (slerp)**" not in texts(at)
    assert "not a VAE" in texts(at)
    # The middle of a pixel blend (two ghost digits) is reconstructed worse than the middle of the latent path.
    model = load_model(REPO / "pretrained" / "ae").model
    blend_error = reconstruction_errors(model, blend[3:6]).mean()
    latent_error = reconstruction_errors(model, latent[3:6]).mean()
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
    at = run_app(PAGE, model_key="pretrained/vae", latent_selection={"dataset": "mnist-5k", "indices": [5, 9, 12]})
    at.button(key="interpolate_use_selection").click().run()
    assert not at.exception
    assert "from test #5" in texts(at) and "test #9" in texts(at)
    at.button(key="interpolate_use_selection_3").click().run()
    assert "test #12" in texts(at)


def test_home_card_links_the_page_and_draws_its_picture():
    at = run_app(None, model_key="pretrained/ae")
    assert not at.exception
    assert any("Interpolate" in str(getattr(link, "proto", "")) for link in at.get("page_link"))
    captions = "".join(str(image.proto) for image in at.get("image"))
    assert "pixel blend (top) vs. decoded latent path (bottom)" in captions
