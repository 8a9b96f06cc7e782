"""Precomputed latent maps are used only for the data and weights they were computed from (the cache identity), and
a training job ends with its model's default map ready, so the Latent Space page never fits one for a new model.
The UMAP fit itself is replaced by a PCA labelled as the default map: these tests are about where maps are kept
and when they are used, not about umap-learn (tests/unit/test_latent_projection.py fits real ones)."""
from __future__ import annotations

import functools

import numpy as np

import aelab.analysis.maps as maps
from aelab.analysis.latent import Projection, encode_dataset, project_2d
from aelab.analysis.maps import SHIPPED_UMAP_FILE, UMAP_DEFAULTS, shipped_umap, umap_artefact_bytes
from aelab.library.store import CACHE_DIR, load_model, save_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.runtime.identity import weights_digest
from aelab.runtime.jobs import DONE, JobManager
from aelab.train.job import TrainingRequest, run_training

DATA = "source:mnist-5k@test"


def _model(seed: int = 0):
    model_config, _ = make_configs("ae", (28, 28), {"latent_dim": 4, "hidden": (16,)}, {})
    return create_model(model_config, seed)


def _fake_default_umap(model, x_test) -> Projection:
    """Stands for the UMAP fit: the PCA of the codes, with the default map's parameters."""
    pca = project_2d(encode_dataset(model, x_test), "pca")
    return Projection("umap", pca.coords, {"n_neighbors": UMAP_DEFAULTS["n_neighbors"],
                                           "min_dist": UMAP_DEFAULTS["min_dist"]}, pca.reducer)


def _saved(tmp_path, model, files: dict[str, bytes], name: str = "m"):
    return save_model(model, name, variant="ae", train_config=make_configs("ae", (28, 28), {}, {})[1],
                      dataset="mnist-5k", root=tmp_path, extra_files=files)


def test_a_precomputed_map_is_used_only_for_its_data_and_weights(tmp_path):
    model, other = _model(0), _model(1)
    coords = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    projection = Projection("umap", coords, {"n_neighbors": 15, "min_dist": 0.1})
    folder = _saved(tmp_path, model, umap_artefact_bytes(projection, model, "mnist-5k", DATA))
    ask = functools.partial(shipped_umap, folder, "mnist-5k", 50, 15, 0.1)
    found = ask(data_identity=DATA, weights=weights_digest(model))
    assert found is not None and np.array_equal(found.coords, coords) and found.params["shipped"]
    assert ask(data_identity="source:mnist-5k@v2", weights=weights_digest(model)) is None  # new data version
    assert ask(data_identity=DATA, weights=weights_digest(other)) is None  # other weights under the same name
    assert ask(data_identity=DATA, weights=weights_digest(load_model(folder).model)) is not None  # as loaded


def test_an_artefact_without_its_identity_is_stale(tmp_path):
    """Files written before identities were recorded are never trusted by the app (it always asks with one)."""
    import io

    model = _model()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, coords=np.zeros((50, 2), np.float32), n_neighbors=np.int64(15),
                        min_dist=np.float64(0.1), seed=np.int64(0), dataset=np.str_("mnist-5k"), n_points=np.int64(50))
    folder = _saved(tmp_path, model, {SHIPPED_UMAP_FILE: buffer.getvalue()})
    assert shipped_umap(folder, "mnist-5k", 50, 15, 0.1, data_identity=DATA, weights=weights_digest(model)) is None


def _request(mnist5k, tmp_path, name: str | None, with_map: bool = True) -> TrainingRequest:
    model_config, train_config = make_configs("ae", mnist5k.image_size, {"latent_dim": 4, "hidden": (16,)},
                                              {"epochs": 1, "batch_size": 64})
    return TrainingRequest(variant="ae", model_config=model_config, train_config=train_config, dataset=mnist5k.name,
                           x_train=mnist5k.x_train[:128], x_val=mnist5k.x_test[:64], preview_x=mnist5k.x_test[:4],
                           latent_x=mnist5k.x_test[:64], latent_y=mnist5k.y_test[:64], save_name=name,
                           library_root=tmp_path, map_x=mnist5k.x_test[:300] if with_map else None,
                           data_identity=mnist5k.identity)


def _run(request):
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "t", functools.partial(run_training, request))
    assert manager.wait(job, timeout=120) == DONE
    return manager.snapshot(job, "alice").result


def test_a_training_job_leaves_its_default_map_ready(mnist5k, tmp_path, monkeypatch, single_thread):
    calls = []
    monkeypatch.setattr(maps, "default_umap", lambda model, x: calls.append(len(x)) or _fake_default_umap(model, x))
    outcome = _run(_request(mnist5k, tmp_path, "fresh"))
    assert calls == [300]  # once, on the page's test images, after training
    assert outcome.extra["umap"].method == "umap" and outcome.extra["umap"].coords.shape == (300, 2)
    assert outcome.extra["umap_data"] == mnist5k.identity
    saved = load_model(outcome.saved_path)  # the saved model carries it, keyed by its own identity
    assert (outcome.saved_path / CACHE_DIR / SHIPPED_UMAP_FILE).is_file()
    found = shipped_umap(outcome.saved_path, mnist5k.name, 300, 15, 0.1, data_identity=mnist5k.identity,
                         weights=saved.weights_digest)
    assert found is not None and np.allclose(found.coords, outcome.extra["umap"].coords)

    unsaved = _run(_request(mnist5k, tmp_path, None))  # kept in the session only: the map is in the outcome
    assert unsaved.saved_path is None and unsaved.extra["umap"].coords.shape == (300, 2)
    without = _run(_request(mnist5k, tmp_path, "plain", with_map=False))  # (the CLI and older callers)
    assert "umap" not in without.extra and not (without.saved_path / CACHE_DIR).exists()
    assert calls == [300, 300]


def test_a_failed_map_costs_only_the_shortcut(mnist5k, tmp_path, monkeypatch, single_thread):
    def broken(model, x):
        raise RuntimeError("no numba here")

    monkeypatch.setattr(maps, "default_umap", broken)
    outcome = _run(_request(mnist5k, tmp_path, "still-saved"))
    assert outcome.saved_path is not None and "umap" not in outcome.extra
    assert "no numba here" in outcome.extra["umap_error"]



def test_shipped_models_maps_carry_the_identity_of_their_weights_and_data():
    """build-pretrained records each shipped map's identity: the app uses them (no fit) for the shipped weights."""
    from aelab.data.sources import load_dataset
    from aelab.library.store import PRETRAINED_ROOT

    for name, source in (("ae", "mnist-5k"), ("vae", "mnist-5k"), ("digits-ae", "digits")):
        dataset, record = load_dataset(source), load_model(PRETRAINED_ROOT / name, pretrained=True)
        assert shipped_umap(PRETRAINED_ROOT / name, dataset.name, len(dataset.x_test), 15, 0.1,
                            data_identity=dataset.identity, weights=record.weights_digest) is not None, name
