"""AppTest of the live decoder on Latent Space, Interpolate and Generate (the browser's side simulated by writing
the component's value): what each view is given (the PCA plane's basis is the PCA inverse; the anchors are the
images' codes; the noise vectors are the page's), and that a released value becomes the server's state."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from aelab.analysis.generation import vae_prior_samples
from aelab.analysis.latent import encode_dataset, project_2d
from aelab.data.sources import load_dataset
from aelab.library.store import load_model
from tests.app.test_generate import _pictures as received_grids
from tests.apptest_helpers import REPO, run_app, texts
from ui.latent.live import plane_basis
from ui.latent.map import NO_WEBGL_KEY


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))
    monkeypatch.delenv("AELAB_LIVE", raising=False)


def component(at, key: str) -> dict:
    [element] = [e for e in at.get("component_instance") if e.proto.id.endswith(key)]
    return json.loads(element.proto.json_args)


def release(at, key: str, n: str, **value) -> None:
    at.session_state[key] = {"event": "release", "n": n, **value}
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_pca_plane_decodes_the_code_mean_plus_the_pca_inverse():
    z = np.random.default_rng(0).normal(size=(300, 6)).astype(np.float32) * [3, 2, 1, 1, 0.5, 0.2]
    origin, axes, says = plane_basis(project_2d(z, "pca"), z)
    reference = PCA(n_components=2).fit(z)
    points = np.array([[0.0, 0.0], [1.5, -2.0], [-3.0, 0.7]], np.float32)
    decoded_at = origin + points @ axes
    assert np.abs(decoded_at - reference.inverse_transform(points)).max() < 1e-4
    assert "code mean + the PCA inverse" in says


def test_a_raw_plane_of_a_larger_code_keeps_the_other_dimensions_at_the_mean():
    z = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    origin, axes, says = plane_basis(project_2d(z, "raw", dims=(2, 0)), z)
    code = origin + 1.5 * axes[0] - 0.5 * axes[1]
    assert code[2] == pytest.approx(1.5) and code[0] == pytest.approx(-0.5)
    assert code[[1, 3]] == pytest.approx(z.mean(0)[[1, 3]], abs=1e-6) and "codes' mean" in says


def test_latent_page_live_plane_and_a_pinned_point():
    # the live plane beside the Plotly map: the page's path where the browser has no WebGL (tests/app/test_latent_map.py
    # tests the WebGL map, which decodes under the cursor itself)
    at = run_app("pages/latent.py", model_key="pretrained/ae", **{NO_WEBGL_KEY: "no WebGL"})
    spec = component(at, "latent_live")["spec"]
    assert "code mean + the PCA inverse of the hovered point" in texts(at)
    assert len(spec["origin"]) == 16 and np.asarray(spec["axes"]).shape == (2, 16) and len(spec["x"]) == 1000
    assert "No point pinned yet" in texts(at)
    release(at, "latent_live", "t-1", point=[1.25, -0.5])
    assert "pinned: PC1 = 1.250, PC2 = -0.500, kept in the page's link" in texts(at)
    assert component(at, "latent_live")["spec"]["pinned"] == [1.25, -0.5]
    at.radio(key="latent_method").set_value("raw").run()  # another map: the pin was for the PCA plane
    assert "No point pinned yet" in texts(at) and "every other dimension at the codes' mean" in texts(at)


def test_interpolate_scrub_and_triangle_get_the_codes_and_keep_the_released_values():
    at = run_app("pages/interpolate.py", model_key="pretrained/vae")
    model = load_model(REPO / "pretrained" / "vae").model
    x = load_dataset("mnist-5k").x_test
    z_a, z_b = encode_dataset(model, x[:2])
    scrub = component(at, "interpolate_live_scrub")["spec"]
    assert np.allclose(scrub["anchors"], torch.stack([z_a, z_b]).numpy(), atol=1e-6) and scrub["t"] == 0.5
    release(at, "interpolate_live_scrub", "t-1", t=0.25)
    assert "Where you let go: t = 0.25" in texts(at) and component(at, "interpolate_live_scrub")["spec"]["t"] == 0.25
    assert np.asarray(component(at, "interpolate_live_triangle")["spec"]["anchors"]).shape == (3, 16)
    release(at, "interpolate_live_triangle", "t-2", weights=[0.2, 0.5, 0.3])
    assert "Where you let go: w_A = 0.20, w_B = 0.50, w_C = 0.30" in texts(at)


def test_generate_live_grid_uses_the_pages_noise_and_a_released_temperature_becomes_the_pages(media):
    at = run_app("pages/generate.py")
    spec = component(at, "generate_live")["spec"]
    vae = load_model(REPO / "pretrained" / "vae").model
    expected = vae_prior_samples(vae, 64, 1.0, 0).codes  # temperature 1: the noise itself
    assert np.allclose(spec["eps"], expected.numpy(), atol=1e-6) and spec["temperature"] == 1.0
    release(at, "generate_live", "t-1", temperature=0.37)
    assert "64 samples, seed 0, temperature 0.37" in [i.caption for e in at.get("image") for i in e.proto.imgs]
    assert component(at, "generate_live")["spec"]["temperature"] == pytest.approx(0.37)
    picture = received_grids(at, media)[0]  # the VAE grid as the browser receives it
    from aelab.analysis.images import grid

    at_037 = grid(vae_prior_samples(vae, 64, 0.37, 0).images, ncol=8, scale=2).astype(float)
    at_1 = grid(vae_prior_samples(vae, 64, 1.0, 0).images, ncol=8, scale=2).astype(float)
    # within one grey level of the 0.37 grid (float rounding of a batched decode), far from the temperature-1 grid
    assert np.abs(picture - at_037).max() <= 1 and np.abs(picture - at_1).mean() > 5


@pytest.mark.parametrize("page, preloads", [("traverse", True), ("latent", True), ("interpolate", True),
                                            ("generate", True), ("train", True), ("home", False),
                                            ("anomalies", False)])
def test_a_live_page_starts_the_browsers_runtime_before_its_sidebar_computes(page, preloads):
    """The runtime's preloader is the sidebar's first element on a page with a live decoder (app.py LIVE_PAGES), so
    the browser compiles it while the pickers and the page compute; a page without one does not pay for it."""
    at = run_app(f"pages/{page}.py")
    elements = list(at.sidebar)[1:3]  # (the sidebar block itself first, then its elements in order)
    first = elements[0]
    preloader = getattr(first, "type", "") == "bidi_component" and first.proto.id.endswith("aelab_live_runtime")
    assert preloader == preloads, [getattr(e, "type", type(e).__name__) for e in elements]
    assert getattr(elements[1 if preloads else 0], "type", "") == "selectbox"  # then the dataset picker
