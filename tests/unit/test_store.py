"""The model library: atomic saves, validated names, and loading that refuses anything pickled, tampered or broken,
without ever running code from the folder."""
from __future__ import annotations

import json
import pathlib
import pickle
import struct

import pytest
import torch
from safetensors.torch import save_file

from aelab.errors import ModelStoreError
from aelab.library.store import (
    CONFIG_FILE,
    FORMAT_VERSION,
    HISTORY_FILE,
    WEIGHTS_FILE,
    _sha256,
    library_root,
    list_models,
    load_model,
    read_config,
    resolve_model_path,
    save_model,
    validate_name,
)
from aelab.models.autoencoder import create_model
from aelab.models.config import TrainConfig
from aelab.models.variants import make_configs

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def home(tmp_path, monkeypatch) -> pathlib.Path:
    """An empty user library in AELAB_HOME."""
    root = tmp_path / "library"
    monkeypatch.setenv("AELAB_HOME", str(root))
    return root


def _model(name="ae", seed=0, **model):
    model_config, train_config = make_configs(name, image_size=(8, 8), model={"hidden": (16,), **model})
    return create_model(model_config, seed=seed), train_config


def _save(name="m", variant="ae", seed=0, root=None, **kwargs):
    model, train_config = _model(variant, seed)
    return save_model(model, name, variant=variant, train_config=train_config, dataset="digits", root=root,
                      **kwargs), model


def _outputs_equal(a, b, x) -> bool:
    with torch.no_grad():
        return torch.equal(a.eval()(x).x_hat, b.eval()(x).x_hat)


X = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))


# ---- save / load ----------------------------------------------------------------------------------------------


def test_save_then_load_round_trips_weights_configs_metrics_and_history(home):
    history = [{"epoch": 1, "step": 8, "train": {"total": 40.5}, "val": None, "seconds": 0.1}]
    path, model = _save(metrics={"mse": 0.02, "psnr": 18.0}, history=history,
                        extra_files={"umap.json": b'{"x": [1, 2]}'})
    assert path == home / "m" and library_root() == home
    assert sorted(p.name for p in path.iterdir()) == sorted([CONFIG_FILE, WEIGHTS_FILE, HISTORY_FILE, "cache"])
    record = load_model(path)
    assert record.name == "m" and record.variant == "ae" and record.dataset == "digits"
    assert record.metrics == {"mse": 0.02, "psnr": 18.0} and record.history == history
    assert record.model_config == model.config and record.train_config == make_configs("ae")[1]
    assert _outputs_equal(model, record.model, X)
    assert (path / "cache" / "umap.json").read_bytes() == b'{"x": [1, 2]}'
    assert [p.name for p in home.iterdir()] == ["m"]  # no staging folder left behind


def test_a_history_in_the_old_schema_is_read_in_the_current_one(home):
    """Files written before the one schema (the shipped pretrained models' among them) named the seconds elapsed_s,
    had no step, and a closed-form fit's entry its val after the seconds: they load with the current keys."""
    path, _ = _save()
    (path / HISTORY_FILE).write_text(json.dumps([
        {"epoch": 1, "train": {"recon": 80.5, "total": 80.5}, "val": {"recon": 56.3, "total": 56.3}, "elapsed_s": 0.02},
        {"epoch": 2, "train": {"mse": 0.025}, "elapsed_s": 0.38},
        "not an epoch", {"epoch": 3}]))
    assert load_model(path).history == [
        {"epoch": 1, "step": None, "train": {"recon": 80.5, "total": 80.5}, "val": {"recon": 56.3, "total": 56.3},
         "seconds": 0.02},
        {"epoch": 2, "step": None, "train": {"mse": 0.025}, "val": None, "seconds": 0.38}]


def test_every_shipped_history_reads_in_the_current_schema():
    from aelab.library.store import PRETRAINED_ROOT
    from aelab.train.history import KEYS

    folders = [p.parent for p in PRETRAINED_ROOT.rglob(HISTORY_FILE)]
    assert len(folders) >= 13
    for folder in folders:
        record = load_model(folder, pretrained=True)
        assert all(tuple(entry) == KEYS for entry in record.history), folder
        raw = json.loads((folder / HISTORY_FILE).read_text())
        assert [e["epoch"] for e in record.history] == [e["epoch"] for e in raw]  # nothing dropped
        assert [e["train"] for e in record.history] == [e["train"] for e in raw]


def test_float16_weights_load_as_float32_close_to_the_original(home):
    path, model = _save(weights_dtype=torch.float16)
    record = load_model(path)
    assert all(p.dtype == torch.float32 for p in record.model.parameters())
    with torch.no_grad():
        assert torch.allclose(model.eval()(X).x_hat, record.model(X).x_hat, atol=2e-3)


def test_an_existing_name_is_refused_unless_overwrite(home):
    path, first = _save("m", seed=0)
    with pytest.raises(ModelStoreError, match="already exists"):
        _save("m", seed=1)
    assert _outputs_equal(first, load_model(path).model, X)  # the refused save left the old model alone
    _, second = _save("m", seed=1, overwrite=True)
    assert _outputs_equal(second, load_model(path).model, X) and not _outputs_equal(first, second, X)
    assert [p.name for p in home.iterdir()] == ["m"]


def test_a_loaded_model_carries_its_weights_digest_and_a_replaced_one_another(home):
    from aelab.runtime.identity import PUBLIC, weights_digest

    path, first = _save("m", seed=0)
    record = load_model(path)
    assert record.weights_digest == weights_digest(first) and record.owner == PUBLIC
    assert load_model(path).weights_digest == record.weights_digest  # the same file: the same digest
    _, second = _save("m", seed=1, overwrite=True)
    assert load_model(path).weights_digest == weights_digest(second) != record.weights_digest


def test_a_failed_save_leaves_nothing_behind(home):
    with pytest.raises(ModelStoreError, match="Extra file"):
        _save("m", extra_files={"../escape.json": b"{}"})
    with pytest.raises(ModelStoreError, match="Extra file"):
        _save("m", extra_files={"evil.pkl": b"x"})
    assert list(home.iterdir()) == []
    assert not (home.parent / "escape.json").exists()


@pytest.mark.parametrize("name", ["a/b", "..", "../evil", "a..b", "", " ", ".hidden", "-dash", "x" * 65,
                                  "a\\b", "a b", "nul\x00", "/abs", "ok/"])
def test_invalid_names_are_refused(home, name):
    with pytest.raises(ModelStoreError, match="Invalid model name"):
        _save(name)
    assert not home.exists() or list(home.iterdir()) == []
    with pytest.raises(ModelStoreError):
        validate_name(name)


@pytest.mark.parametrize("name", ["a", "ae-2d", "my_model.v2", "X" * 64])
def test_valid_names_are_accepted(home, name):
    assert _save(name)[0] == home / name


# ---- never unpickle -------------------------------------------------------------------------------------------


class _Payload:
    """Unpickling this creates the marker file: what a malicious checkpoint would do."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def _pickle_bomb(marker: pathlib.Path) -> bytes:
    return pickle.dumps(_Payload(marker))


def test_the_payload_is_live(tmp_path):
    # Proof that the planted files below would create their marker if anything unpickled them.
    marker = tmp_path / "control-marker"
    pickle.loads(_pickle_bomb(marker))
    assert marker.exists()


@pytest.mark.parametrize("planted", ["model.pkl", "weights.pt", "model.pth", "pytorch_model.bin", "model.ckpt",
                                     "MODEL.PKL", "cache/umap.npy", "cache/old.pickle"])
def test_a_folder_holding_a_pickle_capable_file_is_refused(home, tmp_path, planted):
    path, _ = _save()
    marker = tmp_path / "pwned"
    (path / planted).parent.mkdir(exist_ok=True)
    (path / planted).write_bytes(_pickle_bomb(marker))
    with pytest.raises(ModelStoreError, match="pickled code"):
        load_model(path)
    assert not marker.exists()


def test_pickle_bytes_in_place_of_the_weights_are_refused_without_unpickling(home, tmp_path):
    path, _ = _save()
    marker = tmp_path / "pwned"
    (path / WEIGHTS_FILE).write_bytes(_pickle_bomb(marker))
    with pytest.raises(ModelStoreError, match="checksum"):
        load_model(path)
    # even with the checksum forged to match, the bytes are parsed as safetensors, never unpickled
    config = json.loads((path / CONFIG_FILE).read_text())
    config["weights_sha256"] = _sha256(path / WEIGHTS_FILE)
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ModelStoreError, match="Could not load the weights"):
        load_model(path)
    assert not marker.exists()


def test_a_torch_save_checkpoint_named_as_the_weights_is_refused(home, tmp_path):
    path, model = _save()
    marker = tmp_path / "pwned"
    torch.save({"state": model.state_dict(), "evil": _Payload(marker)}, path / WEIGHTS_FILE)
    config = json.loads((path / CONFIG_FILE).read_text())
    config["weights_sha256"] = _sha256(path / WEIGHTS_FILE)
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ModelStoreError):
        load_model(path)
    assert not marker.exists()


def test_a_symlink_in_the_folder_is_refused(home, tmp_path):
    path, _ = _save()
    (tmp_path / "elsewhere.json").write_text("[]")
    (path / HISTORY_FILE).unlink()
    (path / HISTORY_FILE).symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(ModelStoreError, match="Refusing"):
        load_model(path)


# ---- tampered weights -----------------------------------------------------------------------------------------


def _data_start(weights: pathlib.Path) -> int:
    """safetensors: 8 bytes little-endian header length, the JSON header, then the raw tensor data."""
    return 8 + struct.unpack("<Q", weights.read_bytes()[:8])[0]


def _forge_checksum(path: pathlib.Path) -> None:
    config = json.loads((path / CONFIG_FILE).read_text())
    config["weights_sha256"] = _sha256(path / WEIGHTS_FILE)
    (path / CONFIG_FILE).write_text(json.dumps(config))


def test_a_flipped_byte_in_the_tensor_data_is_refused(home):
    path, _ = _save()
    weights = path / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    offset = _data_start(weights) + 100
    assert offset < len(data)
    data[offset] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelStoreError, match="checksum"):
        load_model(path)


@pytest.mark.parametrize("forge", [False, True], ids=["checksum-kept", "checksum-forged"])
def test_truncated_weights_are_refused(home, forge):
    path, _ = _save()
    weights = path / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:-64])
    if forge:
        _forge_checksum(path)
    with pytest.raises(ModelStoreError, match="checksum" if not forge else "Could not load the weights"):
        load_model(path)


def test_weights_of_another_shape_are_refused_even_with_a_forged_checksum(home):
    path, _ = _save("m")
    model, _ = _model("ae", latent_dim=4)  # the saved model has latent_dim 16
    (path / WEIGHTS_FILE).unlink()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path / WEIGHTS_FILE)
    _forge_checksum(path)
    with pytest.raises(ModelStoreError, match="Could not load the weights"):
        load_model(path)


def test_missing_files_are_refused(home, tmp_path):
    with pytest.raises(ModelStoreError, match="No model folder"):
        load_model(tmp_path / "nowhere")
    for missing in (WEIGHTS_FILE, CONFIG_FILE):
        path, _ = _save(missing.split(".")[0])
        (path / missing).unlink()
        with pytest.raises(ModelStoreError, match=f"{missing} is missing"):
            load_model(path)


# ---- tampered config ------------------------------------------------------------------------------------------


def _edit_config(path: pathlib.Path, edit) -> None:
    config = json.loads((path / CONFIG_FILE).read_text())
    edit(config)
    (path / CONFIG_FILE).write_text(json.dumps(config))


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["model"].update(latent_dim=8), "Could not load the weights"),  # the weights no longer fit
    (lambda c: c["model"].update(latent_dim=0), "latent_dim"),
    (lambda c: c["model"].update(latnet_dim=4), "latnet_dim"),
    (lambda c: c["train"].update(learning_rate=0.1), "learning_rate"),
    (lambda c: c["model"].update(arch="transformer"), "architecture"),
    (lambda c: c.pop("model"), "lacks or mistypes"),
    (lambda c: c.update(model=[1, 2]), "ModelConfig"),
    (lambda c: c.update(format_version=FORMAT_VERSION + 1), "format version"),
    (lambda c: c.update(format_version=str(FORMAT_VERSION)), "format version"),
    (lambda c: c.pop("format_version"), "format version"),
    (lambda c: c.pop("weights_sha256"), "checksum"),
])
def test_a_tampered_config_is_refused(home, edit, message):
    path, _ = _save()
    _edit_config(path, edit)
    with pytest.raises(ModelStoreError, match=message):
        load_model(path)


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", "null", '"a string"', "\udcff"])
def test_a_config_that_is_not_a_json_object_is_refused(home, text):
    path, _ = _save()
    (path / CONFIG_FILE).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ModelStoreError, match=CONFIG_FILE):
        load_model(path)
    with pytest.raises(ModelStoreError, match=CONFIG_FILE):
        read_config(path)


def test_odd_but_harmless_metadata_does_not_break_loading(home):
    path, model = _save()
    _edit_config(path, lambda c: c.update(metrics=[1, 2], variant=None))
    (path / HISTORY_FILE).write_text('{"not": "a list"}')
    record = load_model(path)
    assert record.metrics == {} and record.history == []
    assert _outputs_equal(model, record.model, X)


# ---- listing and resolving ------------------------------------------------------------------------------------


@pytest.fixture
def two_libraries(home, tmp_path):
    """A pretrained folder with one model and a library with two good models and a few broken folders."""
    pretrained = tmp_path / "pretrained"
    _save("shipped", root=pretrained, metrics={"mse": 0.01})
    _save("zeta", variant="vae", metrics={"mse": 0.03})
    _save("alpha")
    (home / "broken-json").mkdir()
    (home / "broken-json" / CONFIG_FILE).write_text("{oops")
    (home / "not-an-object").mkdir()
    (home / "not-an-object" / CONFIG_FILE).write_text("[1]")
    (home / "odd-metrics").mkdir()
    (home / "odd-metrics" / CONFIG_FILE).write_text(json.dumps(
        {"format_version": FORMAT_VERSION, "model": {"latent_dim": 2, "image_size": [8, 8]}, "metrics": [1]}))
    (home / "config-is-a-folder" / CONFIG_FILE).mkdir(parents=True)
    (home / "no-config").mkdir()
    (home / ".m.staging").mkdir()
    (home / ".m.staging" / CONFIG_FILE).write_text("{}")
    return pretrained


def test_list_models_lists_pretrained_then_library_and_marks_broken_folders(home, two_libraries):
    infos = list_models(pretrained_root=two_libraries)
    assert [(i.source, i.name) for i in infos] == [
        ("pretrained", "shipped"),
        ("library", "alpha"), ("library", "broken-json"), ("library", "config-is-a-folder"),
        ("library", "not-an-object"), ("library", "odd-metrics"), ("library", "zeta")]
    by_name = {i.name: i for i in infos}
    assert by_name["shipped"].test_mse == 0.01 and by_name["shipped"].error is None
    assert by_name["zeta"].variant == "vae" and by_name["zeta"].latent_dim == 16
    assert by_name["zeta"].image_size == (8, 8) and by_name["zeta"].dataset == "digits"
    for broken in ("broken-json", "config-is-a-folder", "not-an-object"):
        assert by_name[broken].error and CONFIG_FILE in by_name[broken].error
    assert by_name["alpha"].error is None and by_name["odd-metrics"].test_mse is None


def test_list_models_of_missing_folders_is_empty(tmp_path):
    assert list_models(root=tmp_path / "none", pretrained_root=tmp_path / "nothing") == []


def test_resolve_model_path_prefers_the_library_and_lists_known_names(home, tmp_path):
    pretrained = tmp_path / "pretrained"
    _save("shared", root=pretrained)
    _save("shipped", root=pretrained)
    _save("shared")
    assert resolve_model_path("shared", pretrained_root=pretrained) == home / "shared"
    assert resolve_model_path("shipped", pretrained_root=pretrained) == pretrained / "shipped"
    assert resolve_model_path(str(pretrained / "shared")) == pretrained / "shared"
    with pytest.raises(ModelStoreError, match="known models: shared, shipped, shared"):
        resolve_model_path("nope", pretrained_root=pretrained)
    with pytest.raises(ModelStoreError, match="Invalid model name"):
        resolve_model_path("../not-a-folder", pretrained_root=pretrained)


def test_a_baseline_saves_and_loads_its_fitted_state(home):
    model_config, train_config = make_configs("kmeans", image_size=(8, 8), model={"latent_dim": 3})
    model = create_model(model_config).fit(torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(1)))
    path = save_model(model, "km", variant="kmeans", train_config=train_config, dataset="digits")
    record = load_model(path)
    assert torch.equal(record.model.centroids, model.centroids) and record.model.centroids.abs().sum() > 0
    assert isinstance(record.train_config, TrainConfig)
