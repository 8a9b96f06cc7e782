"""aelab.analysis.maps (shipped UMAP, placing new codes, the decoded-manifold picture, CSV), store.read_artefact,
pretrained.rebuild_artefacts (build-pretrained --artefacts-only) and the background warm-up."""
from __future__ import annotations

import csv
import io
import json
import threading
import time

import numpy as np
import pytest
import torch

from aelab.analysis.latent import Projection, latent_name, project_2d
from aelab.analysis.maps import (
    SHIPPED_UMAP_FILE,
    UMAP_DEFAULTS,
    cell_edges,
    coordinates_csv,
    place_by_neighbours,
    plane_range,
    shipped_umap,
    tile_on_axes,
    transform_new,
    umap_artefact,
)
from aelab.errors import ConfigError, ModelStoreError
from aelab.library.store import read_artefact, save_model
from aelab.runtime.warmup import start_warmup, umap_step


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture
def small_model():
    from aelab.models.autoencoder import create_model
    from aelab.models.variants import make_configs

    model_config, train_config = make_configs("ae", (8, 8), {"latent_dim": 3, "hidden": (16,)}, {"epochs": 1})
    return create_model(model_config, 0), train_config


def saved_with(tmp_path, small_model, extra: dict[str, bytes], name: str = "m"):
    model, train_config = small_model
    return save_model(model, name, variant="ae", train_config=train_config, dataset="digits", root=tmp_path,
                      extra_files=extra)


HISTORY = [{"epoch": 1, "step": 8, "train": {"loss": 0.5}, "val": None, "seconds": 1.0}]  # one schema (train.history)


# ------------------------------------------------------------------------------------------- placing new codes
def test_place_by_neighbours_reproduces_known_positions_and_interpolates():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 5)).astype(np.float32)
    coords = z[:, :2] * 3 + 1  # a map that is linear in the codes
    np.testing.assert_allclose(place_by_neighbours(z, coords, z[7:9]), coords[7:9], atol=1e-4)  # exact matches
    midpoint = place_by_neighbours(z[:2], coords[:2], (z[0] + z[1]) / 2, k=2)
    np.testing.assert_allclose(midpoint[0], (coords[0] + coords[1]) / 2, atol=1e-5)
    queries = z[:50] + rng.normal(scale=0.05, size=(50, 5)).astype(np.float32)
    placed = place_by_neighbours(z, coords, queries)
    truth = queries[:, :2] * 3 + 1
    spread = np.abs(coords - coords.mean(0)).mean()
    assert np.abs(placed - truth).mean() < 0.25 * spread  # near where the map would put them


def test_transform_new_is_exact_for_pca_and_raw_and_neighbour_based_without_a_reducer():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(100, 4)).astype(np.float32)
    query = rng.normal(size=(3, 4)).astype(np.float32)
    pca = project_2d(z, "pca")
    placed, exact = transform_new(pca, z, query)
    assert exact and placed.shape == (3, 2)
    np.testing.assert_allclose(placed, pca.reducer.transform(query), atol=1e-5)
    placed, exact = transform_new(project_2d(z, "raw", dims=(3, 1)), z, query)
    assert exact and np.array_equal(placed, query[:, [3, 1]])
    shipped_like = type(pca)("umap", pca.coords, {"shipped": True})
    placed, exact = transform_new(shipped_like, z, z[:1])
    assert not exact and np.allclose(placed, pca.coords[:1], atol=1e-4)
    one_latent = project_2d(z[:, :1], "pca")  # a 1-latent model's map is a line along x
    placed, exact = transform_new(one_latent, z[:, :1], query[:, :1])
    assert placed.shape == (3, 2) and np.all(placed[:, 1] == 0)


# ------------------------------------------------------------------------------------------- shipped projections
def test_read_artefact_reads_npz_and_json_without_pickle(tmp_path, small_model):
    folder = saved_with(tmp_path, small_model, {"a.npz": npz_bytes(coords=np.ones((3, 2), np.float32),
                                                                   n=np.int64(3), name=np.str_("mnist-5k")),
                                                "b.json": json.dumps({"k": [1, 2]}).encode()})
    saved = read_artefact(folder, "a.npz")
    assert saved["coords"].shape == (3, 2) and saved["n"] == 3 and saved["name"] == "mnist-5k"
    assert read_artefact(folder, "b.json") == {"k": [1, 2]}
    assert read_artefact(folder, "absent.npz") is None
    with pytest.raises(ModelStoreError, match="plain .npz or .json"):
        read_artefact(folder, "../config.json")
    with pytest.raises(ModelStoreError, match="plain .npz or .json"):
        read_artefact(folder, "weights.pkl")
    (folder / "cache" / "a.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelStoreError, match="Could not read"):
        read_artefact(folder, "a.npz")
    (folder / "cache" / "a.npz").write_bytes(npz_bytes(evil=np.array([{"x": 1}], dtype=object)))
    with pytest.raises(ModelStoreError, match="Could not read"):
        read_artefact(folder, "a.npz")  # an object array needs pickle: refused


def test_shipped_umap_is_used_only_for_its_own_dataset_and_parameters(tmp_path, small_model):
    coords = np.arange(200, dtype=np.float32).reshape(100, 2)
    artefact = npz_bytes(coords=coords, n_neighbors=np.int64(15), min_dist=np.float64(0.1), seed=np.int64(0),
                         dataset=np.str_("mnist-5k"), n_points=np.int64(100))
    folder = saved_with(tmp_path, small_model, {SHIPPED_UMAP_FILE: artefact})
    shipped = shipped_umap(folder, "mnist-5k", 40, 15, 0.1)
    assert shipped.method == "umap" and shipped.reducer is None and shipped.params["shipped"]
    assert np.array_equal(shipped.coords, coords[:40])
    assert shipped_umap(folder, "fashion-mnist", 40, 15, 0.1) is None
    assert shipped_umap(folder, "mnist-5k", 40, 30, 0.1) is None
    assert shipped_umap(folder, "mnist-5k", 40, 15, 0.0) is None
    assert shipped_umap(folder, "mnist-5k", 101, 15, 0.1) is None  # more points than were shipped
    assert shipped_umap(tmp_path / "nowhere", "mnist-5k", 40, 15, 0.1) is None
    (folder / "cache" / SHIPPED_UMAP_FILE).write_bytes(b"corrupt")
    assert shipped_umap(folder, "mnist-5k", 40, 15, 0.1) is None  # a broken cache only costs a fit


def test_pretrained_models_ship_a_umap_of_their_test_split():
    from aelab.data.sources import load_dataset
    from aelab.library.pretrained import PRETRAINED
    from aelab.library.store import PRETRAINED_ROOT

    for spec in PRETRAINED:
        n_test = len(load_dataset(spec.dataset).x_test)
        shipped = shipped_umap(PRETRAINED_ROOT / spec.name, spec.dataset, n_test, UMAP_DEFAULTS["n_neighbors"],
                               UMAP_DEFAULTS["min_dist"])
        if spec.variant == "cvae":  # its codes depend on the class the sidebar binds: none is shipped
            assert shipped is None
            continue
        assert shipped is not None, spec.name
        assert shipped.coords.shape == (n_test, 2) and np.isfinite(shipped.coords).all()
    assert {spec.dataset for spec in PRETRAINED} == {"mnist-5k", "digits", "shapes"}  # every bundled source


@pytest.mark.slow
def test_umap_artefact_matches_a_fresh_fit_and_keeps_neighbourhoods(mnist5k, single_thread):
    """The builder's map is UMAP with the page's defaults (a fresh fit gives the same picture) and it keeps
    neighbourhoods (trustworthiness, the measure umap-learn's own tests use). Costs one cold UMAP (~25 s)."""
    from sklearn.manifold import trustworthiness

    from aelab.analysis.latent import encode_dataset
    from aelab.data.sources import Dataset
    from aelab.models.autoencoder import create_model
    from aelab.models.variants import make_configs
    from aelab.train.trainer import fit

    model_config, train_config = make_configs("pca", (28, 28), {"latent_dim": 8}, {})
    model = create_model(model_config, 0)
    fit(model, mnist5k.x_train[:500], train_config)  # PCA: one closed-form fit, a real 8-D code in a second
    small = Dataset("mnist-5k", mnist5k.x_train[:10], mnist5k.y_train[:10], mnist5k.x_test[:300],
                    mnist5k.y_test[:300], mnist5k.class_names)
    files = umap_artefact(model, small)
    saved = np.load(io.BytesIO(files[SHIPPED_UMAP_FILE]), allow_pickle=False)
    assert saved["coords"].shape == (300, 2) and str(saved["dataset"]) == "mnist-5k"
    assert int(saved["n_neighbors"]) == UMAP_DEFAULTS["n_neighbors"] and float(saved["min_dist"]) == 0.1
    z = encode_dataset(model, small.x_test).numpy()
    assert trustworthiness(z, saved["coords"], n_neighbors=10) > 0.85
    fresh = project_2d(z, "umap", n_neighbors=15, min_dist=0.1, seed=0).coords
    np.testing.assert_allclose(fresh, saved["coords"], atol=1e-3)


def test_rebuild_artefacts_keeps_the_weights_and_adds_the_files(tmp_path, monkeypatch):
    from aelab.library import pretrained
    from aelab.library.store import load_model
    from aelab.models.autoencoder import create_model
    from aelab.models.variants import make_configs

    monkeypatch.setenv("AELAB_DATA_DIR", str(tmp_path / "data"))
    model_config, train_config = make_configs("ae", (28, 28), {"latent_dim": 4, "hidden": (32,)}, {})
    model = create_model(model_config, 3)
    folder = save_model(model, "ae", variant="ae", train_config=train_config, dataset="mnist-5k", root=tmp_path,
                        metrics={"mse": 0.5}, history=HISTORY, weights_dtype=torch.float16)
    weights_before = (folder / "model.safetensors").read_bytes()
    seen = []

    def fake_builder(model, dataset):
        seen.append((type(model).__name__, dataset.name, len(dataset.x_test)))
        return {"probe.json": json.dumps({"ok": True}).encode()}

    monkeypatch.setattr(pretrained, "ARTEFACT_BUILDERS", {"probe": fake_builder})
    rows = pretrained.rebuild_artefacts(tmp_path, ["ae"])
    assert rows[0]["name"] == "ae" and rows[0]["files"] == ["cards.npz", "probe.json"]  # + Home's, after saving
    assert seen == [("Autoencoder", "mnist-5k", 1000)]
    assert (folder / "model.safetensors").read_bytes() == weights_before  # fp16 -> fp32 -> fp16 is exact
    record = load_model(folder)
    assert record.metrics == {"mse": 0.5} and record.history == HISTORY and record.variant == "ae"
    assert read_artefact(folder, "probe.json") == {"ok": True}
    with pytest.raises(ConfigError, match="Unknown pretrained"):
        pretrained.rebuild_artefacts(tmp_path, ["nope"])
    with pytest.raises(ModelStoreError, match="build it first"):
        pretrained.rebuild_artefacts(tmp_path, ["vae"])


def test_cli_artefacts_only(tmp_path, monkeypatch, capsys):
    from aelab.cli.main import main
    from aelab.library import pretrained

    monkeypatch.setattr(pretrained, "rebuild_artefacts",
                        lambda out, names, on_model=None: [{"name": n, "files": ["x.npz"], "seconds": 0.1}
                                                           for n in names])
    assert main(["build-pretrained", "--artefacts-only", "--out", str(tmp_path), "--only", "ae,vae"]) == 0
    out = capsys.readouterr().out
    assert "ae" in out and "vae" in out and "x.npz" in out


# ------------------------------------------------------------------------------------------- manifold picture
def test_cell_edges_even_and_uneven():
    np.testing.assert_allclose(cell_edges(np.array([0.0, 1.0, 2.0])), [-0.5, 0.5, 1.5, 2.5])
    edges = cell_edges(np.array([-2.0, -0.5, 0.0, 0.5, 2.0]))
    assert np.all(np.diff(edges) > 0) and edges[0] == -2.75 and edges[-1] == 2.75


@pytest.mark.parametrize("centres", [np.linspace(-3, 3, 7), np.array([-1.6, -0.7, -0.2, 0.2, 0.7, 1.6])])
def test_tiles_lie_where_their_codes_are(centres):
    """Each tile is filled with its own grid index; any point of the plane must read the index of the nearest grid
    code in the same cell: the picture is aligned to the axes, top row at the highest y."""
    n = len(centres)
    tiles = np.zeros((n * n, 1, 4, 4), np.float32)
    for row in range(n):  # row 0 is the highest y
        for col in range(n):
            tiles[row * n + col] = (row * n + col + 1) / (n * n + 1)
    picture, (x0, x1, y0, y1) = tile_on_axes(torch.from_numpy(tiles), centres, centres, pixels_per_tile=40)
    assert picture.shape == (n * 40, n * 40) and picture.dtype == np.uint8
    edges = cell_edges(centres)
    assert (x0, x1, y0, y1) == pytest.approx((edges[0], edges[-1], edges[0], edges[-1]))
    rng = np.random.default_rng(0)
    for x, y in rng.uniform(edges[0] + 1e-3, edges[-1] - 1e-3, size=(200, 2)):
        col, row_from_bottom = np.searchsorted(edges, x) - 1, np.searchsorted(edges, y) - 1
        if min(abs(edges - x).min(), abs(edges - y).min()) < 0.03:
            continue  # on a cell border the pixel may belong to either side
        px = int((x - x0) / (x1 - x0) * picture.shape[1])
        py = int((y1 - y) / (y1 - y0) * picture.shape[0])
        expected = ((n - 1 - row_from_bottom) * n + col + 1) / (n * n + 1)
        assert abs(picture[py, px] / 255 - expected) < 1 / 255 + 1e-6, (x, y)


def test_plane_range_covers_the_data_and_ignores_a_far_outlier():
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(1000, 2))
    low, high = plane_range(coords)
    inside = ((coords >= low) & (coords <= high)).all(1).mean()
    assert inside >= 0.99 and high - low < 1.3 * (coords.max() - coords.min())
    with_outlier = np.vstack([coords, [[500.0, 0.0]]])
    assert plane_range(with_outlier)[1] < 10


def test_coordinates_csv_round_trips():
    z = np.array([[0.5, -1.0, 2.0], [1.0, 2.0, 3.0]], np.float32)
    text = coordinates_csv(np.array([4, 9]), np.array([3, -1]), np.array([[0.1, 0.2], [1.5, -2.5]]), z,
                           ("a", "b", "c", "d"), axes=("PC1", "PC2"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["index", "label", "class", "PC1", "PC2", "z1", "z2", "z3"]  # 1-based, as on the pages
    assert rows[0]["index"] == "4" and rows[0]["class"] == "d" and float(rows[0]["z2"]) == -1.0
    assert rows[1]["label"] == "-1" and rows[1]["class"] == "" and float(rows[1]["PC2"]) == -2.5


def test_a_raw_maps_csv_names_its_axes_apart_from_the_code_columns():
    z = np.array([[0.5, -1.0, 2.0]], np.float32)
    text = coordinates_csv(np.array([0]), np.array([1]), z[:, [2, 0]], z, axes=project_2d(z, "raw", dims=(2, 0)).axes)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["index", "label", "class", "map_z3", "map_z1", "z1", "z2", "z3"]
    assert float(rows[0]["map_z3"]) == float(rows[0]["z3"]) == 2.0


@pytest.mark.parametrize("method, dims, axes", [("pca", (0, 1), ("PC1", "PC2")), ("raw", (0, 1), ("z1", "z2")),
                                                ("raw", (5, 2), ("z6", "z3"))])
def test_projections_name_their_axes(method, dims, axes):
    z = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    assert project_2d(z, method, dims=dims).axes == axes
    assert project_2d(z[:, :1], "pca").axes == ("PC1", "")  # a 1-latent code has one component
    assert [latent_name(d) for d in range(3)] == ["z1", "z2", "z3"]


def test_a_umap_projection_is_named_as_such():
    assert Projection("umap", np.zeros((3, 2), np.float32), {}).axes == ("UMAP-1", "UMAP-2")


# ---------------------------------------------------------------------------------------------------- warm-up
def test_warmup_runs_its_steps_in_order_in_a_daemon_thread_and_reports():
    first, second = threading.Event(), threading.Event()
    state = start_warmup("probe", steps=[("small maps", first.wait), ("large maps", second.wait)])
    assert state.thread.daemon and not state.done and "still compiling" in state.describe()
    assert not state.ready("small maps")
    first.set()
    for _ in range(500):
        if state.ready("small maps"):
            break
        time.sleep(0.01)
    assert state.ready("small maps") and not state.ready("large maps") and "ready for small maps" in state.describe()
    second.set()
    state.thread.join(5)
    assert state.done and state.error is None and state.completed == ["small maps", "large maps"]
    assert "is compiled" in state.describe()

    def broken():
        raise RuntimeError("no numba")

    failed = start_warmup("probe", steps=[("small maps", broken), ("large maps", second.wait)])
    failed.thread.join(5)
    assert failed.done and "no numba" in failed.error and "failed" in failed.describe()
    assert not failed.ready("small maps") and not failed.ready("large maps")  # a later fit compiles for itself


def test_umap_step_follows_umap_learns_switch_to_approximate_neighbours():
    assert umap_step(1000) == "small maps" and umap_step(4095) == "small maps" and umap_step(4096) == "large maps"
