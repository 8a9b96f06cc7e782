"""AppTest: the Latent Space page of a model trained a minute ago opens on its PCA map at once, and its UMAP, computed
by the training job as its last step, is shown without a fit on the page (the fit is replaced by a stand-in here:
tests/unit/test_precomputed_maps.py says why)."""
from __future__ import annotations

import functools

import aelab.analysis.maps as maps
import ui.latent.view as latent_view
from aelab.analysis.latent import Projection, encode_dataset, project_2d
from aelab.data.sources import load_dataset
from aelab.models.variants import make_configs
from aelab.runtime.jobs import DONE
from aelab.train.job import TrainingRequest, run_training
from tests.apptest_helpers import run_app, texts

SESSION = "fresh-model-session"


def _stand_in_umap(model, x_test) -> Projection:
    pca = project_2d(encode_dataset(model, x_test), "pca")
    return Projection("umap", pca.coords, {"n_neighbors": 15, "min_dist": 0.1}, pca.reducer)


def test_a_fresh_model_opens_on_pca_and_its_umap_is_ready(monkeypatch, tmp_path):
    from ui.train.lifecycle import job_manager

    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    monkeypatch.setattr(maps, "default_umap", _stand_in_umap)
    dataset = load_dataset("mnist-5k")
    model_config, train_config = make_configs("ae", dataset.image_size, {"latent_dim": 6, "hidden": (16,)},
                                              {"epochs": 1, "batch_size": 128})
    request = TrainingRequest(variant="ae", model_config=model_config, train_config=train_config,
                              dataset=dataset.name, x_train=dataset.x_train[:256], x_val=dataset.x_test[:64],
                              preview_x=dataset.x_test[:4], latent_x=dataset.x_test[:64],
                              latent_y=dataset.y_test[:64], class_names=dataset.class_names,
                              map_x=dataset.x_test[:5000], data_identity=dataset.identity)
    manager = job_manager()  # the app's (one per process)
    job = manager.submit(SESSION, "fresh", functools.partial(run_training, request))
    assert manager.wait(job, timeout=120) == DONE

    at = run_app("pages/latent.py", session_id=SESSION)  # the sidebar collects the finished job: model selected
    assert at.session_state["model_key"].startswith("session/ae-")
    assert at.radio(key="latent_method").value == "pca"  # a new model starts on PCA: no UMAP to wait for
    assert "PC1" in str(at.get("plotly_chart")[0].proto.spec)

    def no_fit(z, method="pca", **params):
        assert method != "umap", "the Latent page fitted a UMAP the training job had computed"
        return project_2d(z, method, **params)

    monkeypatch.setattr(latent_view, "project_2d", no_fit)
    at.radio(key="latent_method").set_value("umap").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "UMAP-1" in str(at.get("plotly_chart")[0].proto.spec)
    assert "Fitting UMAP" not in texts(at) and "precomputed when this model was built" not in texts(at)
