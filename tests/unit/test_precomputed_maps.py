"""Precomputed latent maps are used only for the data and weights they were computed from (the cache identity); a
training job computes none (the app maps a new model after it, tests/app/test_latent_fresh_model.py), and a map
computed later is saved beside the model it maps. The UMAP fit itself is replaced by a PCA labelled as the default
map: these tests are about where maps are kept and when they are used, not about umap-learn
(tests/unit/test_latent_projection.py fits real ones)."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import aelab.analysis.latent as latent
import aelab.analysis.maps as maps
from aelab.analysis.latent import Projection, encode_dataset, project_2d
from aelab.analysis.maps import SHIPPED_UMAP_FILE, UMAP_DEFAULTS, shipped_umap, umap_artefact_bytes
from aelab.library.store import CACHE_DIR, load_model, save_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.runtime.executors import ThreadExecutor
from aelab.runtime.identity import weights_digest
from aelab.runtime.jobs import DONE, JobManager
from aelab.train.job import TrainingRequest
from aelab.train.remote import training_work

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


def _request(mnist5k, tmp_path, name: str | None, latent_dim: int = 4) -> TrainingRequest:
    model_config, train_config = make_configs("ae", mnist5k.image_size, {"latent_dim": latent_dim, "hidden": (16,)},
                                              {"epochs": 1, "batch_size": 64})
    return TrainingRequest(variant="ae", model_config=model_config, train_config=train_config, dataset=mnist5k.name,
                           x_train=mnist5k.x_train[:128], x_val=mnist5k.x_test[:64], preview_x=mnist5k.x_test[:4],
                           latent_x=mnist5k.x_test[:64], latent_y=mnist5k.y_test[:64], save_name=name,
                           library_root=tmp_path, map_x=mnist5k.x_test[:300], data_identity=mnist5k.identity)


def _run(request):
    manager = JobManager(max_running=1)
    job = manager.submit("alice", "t", training_work(request, ThreadExecutor()))
    assert manager.wait(job, timeout=120) == DONE
    return manager.snapshot(job, "alice").result


@pytest.mark.parametrize("latent_dim", [2, 4])
def test_a_training_job_computes_no_map(mnist5k, tmp_path, monkeypatch, single_thread, latent_dim):
    """Finished and saved without a map, even with the page's images in its request: the map is computed after the
    job (in the app: ui.common.cache.map_later), and a 2-latent model's map is its code plane, never a UMAP."""
    def no_umap(*args, **kwargs):
        raise AssertionError("the training job computed a UMAP")

    monkeypatch.setattr(maps, "default_umap", no_umap)
    monkeypatch.setattr(latent, "project_2d", lambda z, method="pca", **params: no_umap() if method == "umap"
                        else project_2d(z, method, **params))
    outcome = _run(_request(mnist5k, tmp_path, "fresh", latent_dim))
    assert outcome.saved_path is not None and not (outcome.saved_path / CACHE_DIR).exists()
    assert maps.needs_umap(outcome.model_config) == (latent_dim > 2)


def test_only_models_of_more_than_two_unconditional_latents_take_a_umap():
    assert [maps.needs_umap(make_configs("ae", (28, 28), {"latent_dim": d})[0]) for d in (1, 2, 3, 16)] == [
        False, False, True, True]
    assert not maps.needs_umap(make_configs("cvae")[0])  # its codes depend on the label the page picks


def test_a_trained_models_map_is_saved_beside_it_under_its_identity(mnist5k, tmp_path, monkeypatch, single_thread):
    monkeypatch.setattr(maps, "default_umap", _fake_default_umap)
    outcome = _run(_request(mnist5k, tmp_path, "fresh"))
    projection = maps.map_trained_model(outcome.model, mnist5k.x_test[:300], mnist5k.name, mnist5k.identity,
                                        outcome.saved_path)
    assert projection.method == "umap" and projection.coords.shape == (300, 2)
    saved = load_model(outcome.saved_path)  # the saved model carries it, keyed by its own identity
    found = shipped_umap(outcome.saved_path, mnist5k.name, 300, 15, 0.1, data_identity=mnist5k.identity,
                         weights=saved.weights_digest)
    assert found is not None and np.allclose(found.coords, projection.coords)
    unsaved = maps.map_trained_model(outcome.model, mnist5k.x_test[:300], mnist5k.name, mnist5k.identity)
    assert np.array_equal(unsaved.coords, projection.coords)  # kept in a session only: nothing written


def test_an_artefact_added_later_replaces_the_old_one_whole(tmp_path):
    from aelab.errors import ModelStoreError
    from aelab.library.store import read_artefact, write_artefact

    folder = _saved(tmp_path, _model(), {"notes.json": b'{"v": 1}'})
    write_artefact(folder, "notes.json", b'{"v": 2}')
    assert read_artefact(folder, "notes.json") == {"v": 2}
    assert sorted(p.name for p in (folder / CACHE_DIR).iterdir()) == ["notes.json"]  # no partial file left
    with pytest.raises(ModelStoreError, match="plain .npz or .json"):
        write_artefact(folder, "../escape.json", b"{}")
    with pytest.raises(ModelStoreError, match="No model folder"):
        write_artefact(tmp_path / "nothing-here", "notes.json", b"{}")


def test_shipped_models_maps_carry_the_identity_of_their_weights_and_data():
    """build-pretrained records each shipped map's identity: the app uses them (no fit) for the shipped weights."""
    from aelab.data.sources import load_dataset
    from aelab.library.store import PRETRAINED_ROOT

    for name, source in (("ae", "mnist-5k"), ("vae", "mnist-5k"), ("digits-ae", "digits")):
        dataset, record = load_dataset(source), load_model(PRETRAINED_ROOT / name, pretrained=True)
        assert shipped_umap(PRETRAINED_ROOT / name, dataset.name, len(dataset.x_test), 15, 0.1,
                            data_identity=dataset.identity, weights=record.weights_digest) is not None, name
