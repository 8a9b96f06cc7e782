"""AppTest: a model trained a moment ago. Its training reports Finished before its UMAP exists: the map is computed
after the job, in the background on the quick lane (ui.common.cache.map_later), and the Latent Space page shows PCA
with one line saying so until it is ready, then the UMAP without fitting one. A 2-latent model's map is its code
plane: no UMAP is computed at all. The UMAP fit is replaced by a stand-in that waits to be released
(tests/unit/test_precomputed_maps.py says why a stand-in)."""
from __future__ import annotations

import threading

import pytest

import aelab.analysis.maps as maps
import ui.latent.view as latent_view
import ui.train.form as form
from aelab.analysis.latent import Projection, encode_dataset, project_2d
from aelab.runtime.jobs import DONE
from tests.app.test_train import job_status, start_training
from tests.apptest_helpers import rerun_until, run_app, texts
from ui.latent.map import NO_WEBGL_KEY
from ui.train.lifecycle import quick_job_manager

PENDING_LINE = "UMAP is being computed in the background; PCA is shown until it is ready"


@pytest.fixture
def held_umap(monkeypatch, tmp_path):
    """The Train page as on a real server (it gives the job the Latent page's images), with a UMAP stand-in that
    blocks until the test sets the returned Event; the stand-in's calls are counted in held_umap.calls."""
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    monkeypatch.setattr(form, "real_server", lambda: True)
    release, calls = threading.Event(), []

    def stand_in(model, x_test) -> Projection:
        calls.append(len(x_test))
        assert release.wait(60), "the test never released the map"
        pca = project_2d(encode_dataset(model, x_test), "pca")
        return Projection("umap", pca.coords, {"n_neighbors": 15, "min_dist": 0.1}, pca.reducer)

    monkeypatch.setattr(maps, "default_umap", stand_in)
    release.calls = calls
    yield release
    release.set()  # a map still waiting ends with the test


def map_jobs(at) -> list:
    """This session's background map jobs on the quick lane."""
    return quick_job_manager().jobs_for(f"map:{at.session_state['session_id']}", keys=())


def test_finished_comes_before_the_umap_and_the_page_shows_pca_until_it_is_ready(held_umap, monkeypatch):
    at = run_app("pages/train.py", **{NO_WEBGL_KEY: "no WebGL"})  # the Plotly map, whose axis titles are read here
    job_id = start_training(at, latent_dim=6, epochs=1, name="fresh")
    at = rerun_until(at, lambda a: "Finished: 1 epoch" in texts(a), timeout=120)
    assert job_status(at, job_id) == DONE and not held_umap.is_set()  # finished, its map not computed yet
    assert [job.active for job in map_jobs(at)] == [True]

    def no_fit(z, method="pca", **params):
        assert method != "umap", "the Latent page fitted the UMAP that is computed in the background"
        return project_2d(z, method, **params)

    monkeypatch.setattr(latent_view, "project_2d", no_fit)
    at.switch_page("pages/latent.py").run()
    assert at.session_state["model_key"] == "library/fresh"
    assert at.radio(key="latent_method").value == "pca"  # a model of 6 latents starts on PCA
    at.radio(key="latent_method").set_value("umap").run()
    assert not at.exception, [e.value for e in at.exception]
    assert PENDING_LINE in texts(at) and "PC1" in str(at.get("plotly_chart")[0].proto.spec)

    held_umap.set()
    rerun_until(at, lambda a: not map_jobs(a)[0].active, timeout=60)
    at.run()
    assert held_umap.calls == [1000]  # once, on the page's test images
    assert "UMAP-1" in str(at.get("plotly_chart")[0].proto.spec) and PENDING_LINE not in texts(at)
    assert "Fitting UMAP" not in texts(at) and "precomputed when this model was built" not in texts(at)


def test_a_two_latent_models_training_computes_no_umap(held_umap):
    at = run_app("pages/train.py")
    job_id = start_training(at, latent_dim=2, epochs=1, name="plane")
    at = rerun_until(at, lambda a: "Finished: 1 epoch" in texts(a), timeout=120)
    assert job_status(at, job_id) == DONE
    assert map_jobs(at) == [] and held_umap.calls == []  # its map is its code plane
    at.switch_page("pages/latent.py").run()
    assert at.radio(key="latent_method").value == "raw" and not at.exception
    assert held_umap.calls == []
