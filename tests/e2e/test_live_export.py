"""The model library's ONNX download in Chromium: the sidebar's "Download as ONNX" gives a zip of the chosen model's
encoder, decoder and JSON sidecar, and the decoder in it decodes as torch does."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch

from aelab.library.store import load_model
from tests.app_server import REPO
from tests.e2e.conftest import open_page

pytestmark = pytest.mark.e2e
import onnxruntime as ort  # noqa: E402 (a test dependency: these tests must fail, not skip, without it)


def test_the_sidebar_downloads_the_models_onnx_files(page, app_server):
    open_page(page, app_server, "", "model=pretrained%2Fvae-2d")  # the home page
    with page.expect_download(timeout=60_000) as info:
        page.get_by_test_id("stSidebar").get_by_role("button", name="Download as ONNX (encoder, decoder, JSON)").click()
    download = info.value
    assert download.suggested_filename == "vae-2d-onnx.zip"
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    assert sorted(archive.namelist()) == ["vae-2d-onnx/vae-2d.decoder.onnx", "vae-2d-onnx/vae-2d.encoder.onnx",
                                          "vae-2d-onnx/vae-2d.json"]
    meta = json.loads(archive.read("vae-2d-onnx/vae-2d.json"))
    assert (meta["latent_dim"], meta["image_size"], meta["output_activation"]) == (2, [28, 28], "sigmoid")
    session = ort.InferenceSession(archive.read("vae-2d-onnx/vae-2d.decoder.onnx"))
    z = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    model = load_model(REPO / "pretrained" / "vae-2d").model
    assert np.abs(session.run(None, {"z": z.numpy()})[0] - model.decode(z).detach().numpy()).max() <= 1e-5
