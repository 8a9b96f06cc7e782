"""The model library: a model is a folder holding config.json, model.safetensors and history.json.

Saving writes a hidden staging folder and renames it into place, so a crash never leaves half a model; a save killed
while replacing a model is undone or finished at the next listing or save (aelab.library.staging). Loading reads only
those files, never unpickles anything (a folder holding a pickle-capable file is refused outright), checks the
format version and the weights' SHA-256 recorded in the config, and loads the weights strictly. Listing models and
reading their configs and artefacts import no torch (Home lists them); saving and loading weights do.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import platformdirs
from safetensors import SafetensorError

import aelab
from aelab.errors import AelabError, ModelStoreError
from aelab.library.staging import recover, staging_folder, swap_into_place
from aelab.models.config import ModelConfig, TrainConfig, from_dict, to_dict
from aelab.resources import pretrained_root
from aelab.runtime.identity import PUBLIC, weights_digest
from aelab.train.history import upgrade as upgrade_history

if TYPE_CHECKING:
    import torch
    from torch import nn

FORMAT_VERSION = 1
CONFIG_FILE, WEIGHTS_FILE, HISTORY_FILE = "config.json", "model.safetensors", "history.json"
# Extra, optional artefacts (precomputed projections) live in cache/ as .npz or .json, read with allow_pickle=False.
CACHE_DIR = "cache"
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib", ".npy", ".tar", ".zip"}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PRETRAINED_ROOT = pretrained_root()
PUBLISHED_DIR = ".published"  # inside the library: the models a teacher shared with a class (aelab publish)
MAX_CONFIG_BYTES = 1 << 20  # a config.json is a few KB (its metrics included)
MAX_WEIGHTS_HEADER_BYTES = 1 << 20  # safetensors' JSON header: a few hundred bytes per tensor


def library_root(root: str | Path | None = None) -> Path:
    """The user's library: AELAB_HOME, else the platform's user data folder (~/.local/share/aelab/models)."""
    if root is not None:
        return Path(root)
    home = os.environ.get("AELAB_HOME")
    return Path(home) if home else Path(platformdirs.user_data_dir("aelab")) / "models"


def published_root(root: str | Path | None = None) -> Path:
    """The models a teacher published, shared read-only with every student of a class server (`aelab publish NAME`
    copies a library model there): AELAB_PUBLISHED_DIR, else the hidden folder .published inside the library."""
    folder = os.environ.get("AELAB_PUBLISHED_DIR")
    return Path(folder) if folder else library_root(root) / PUBLISHED_DIR


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or ".." in name:
        raise ModelStoreError(
            f"Invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit (no '/', no '..').")
    return name


@dataclass
class ModelRecord:
    """A loaded model with everything saved beside it.

    weights_digest names its weights for caches (aelab.runtime.identity.weights_digest), computed once here: a model
    saved again under the same name has another digest. owner: who may see results computed from it (PUBLIC, or a
    session's id for a model only that session holds); whoever loads or builds the record decides it.
    """

    model: nn.Module
    name: str
    path: Path
    variant: str
    model_config: ModelConfig
    train_config: TrainConfig
    dataset: str
    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)  # aelab.train.history's schema, older files upgraded
    pretrained: bool = False
    weights_digest: str = ""
    owner: str = PUBLIC

    def __post_init__(self) -> None:
        if not self.weights_digest:
            self.weights_digest = weights_digest(self.model)


def _metrics(config: dict[str, Any]) -> dict[str, Any]:
    metrics = config.get("metrics")
    return dict(metrics) if isinstance(metrics, dict) else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(model: nn.Module, name: str, *, variant: str, train_config: TrainConfig, dataset: str,
               metrics: dict[str, Any] | None = None, history: list[dict] | None = None,
               root: str | Path | None = None, overwrite: bool = False,
               extra_files: dict[str, bytes] | None = None, weights_dtype: torch.dtype | None = None) -> Path:
    """Write root/name atomically and return its path. extra_files: cache/<file> -> bytes (.npz or .json only).

    weights_dtype: float32 by default; torch.float16 halves the file (the shipped pretrained models); loading always
    gives float32."""
    import torch
    from safetensors.torch import save_file

    weights_dtype = weights_dtype or torch.float32
    root = library_root(root)
    target = root / validate_name(name)
    root.mkdir(parents=True, exist_ok=True)
    recover(root)  # an earlier save of this name killed half-way: its old model back before deciding
    if target.exists() and not overwrite:
        raise ModelStoreError(f"A model named {name!r} already exists in {root}; choose another name.")
    staging = staging_folder(root, name, "new")
    try:
        tensors = {k: v.detach().cpu().to(weights_dtype if v.is_floating_point() else v.dtype).contiguous()
                   for k, v in model.state_dict().items()}
        save_file(tensors, staging / WEIGHTS_FILE)
        config = {
            "format_version": FORMAT_VERSION, "aelab_version": aelab.__version__, "variant": variant,
            "model": to_dict(model.config), "train": to_dict(train_config), "dataset": dataset,
            "metrics": metrics or {}, "weights_sha256": _sha256(staging / WEIGHTS_FILE),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        (staging / HISTORY_FILE).write_text(json.dumps(upgrade_history(history or []), indent=1))
        for file_name, data in (extra_files or {}).items():
            if Path(file_name).suffix not in (".npz", ".json") or Path(file_name).name != file_name:
                raise ModelStoreError(f"Extra file {file_name!r} must be a plain .npz or .json name.")
            (staging / CACHE_DIR).mkdir(exist_ok=True)
            (staging / CACHE_DIR / file_name).write_bytes(data)
        swap_into_place(root, name, staging, target)  # overwrite: the old one aside first, recoverable
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _check_folder(path: Path) -> None:
    if not path.is_dir():
        raise ModelStoreError(f"No model folder at {path}.")
    for item in path.rglob("*"):
        if item.suffix.lower() in PICKLE_SUFFIXES or item.is_symlink():
            raise ModelStoreError(
                f"Refusing to load {path}: it holds {item.name}, a file that could carry pickled code; aelab models "
                "are only config.json, model.safetensors and history.json.")
    for required in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / required).is_file():
            raise ModelStoreError(f"{path} is not a model folder: {required} is missing.")


def read_config(path: str | Path) -> dict[str, Any]:
    """The parsed config.json of a model folder, checked for format version (no weights are read)."""
    path = Path(path)
    try:
        if (path / CONFIG_FILE).stat().st_size > MAX_CONFIG_BYTES:
            raise ModelStoreError(f"{path / CONFIG_FILE} is larger than the {MAX_CONFIG_BYTES:,} bytes a model's "
                                  "config.json may hold.")
        config = json.loads((path / CONFIG_FILE).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelStoreError(f"{path / CONFIG_FILE} is unreadable or not valid JSON ({err}).") from None
    if not isinstance(config, dict):
        raise ModelStoreError(f"{path / CONFIG_FILE} is not a JSON object.")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelStoreError(f"{path / CONFIG_FILE} has format version {config.get('format_version')!r} "
                              f"(this aelab reads version {FORMAT_VERSION}).")
    return config


def read_artefact(path: str | Path, file_name: str) -> dict[str, Any] | None:
    """A model folder's cache/<file_name> (written by save_model's extra_files): a .npz as {name: array} read with
    allow_pickle=False (0-d arrays come back as Python scalars / str), a .json parsed; None when the file is absent.
    A corrupt file or a name that is not a plain .npz / .json is a ModelStoreError."""
    if Path(file_name).name != file_name or Path(file_name).suffix not in (".npz", ".json"):
        raise ModelStoreError(f"Artefact {file_name!r} must be a plain .npz or .json name.")
    target = Path(path) / CACHE_DIR / file_name
    if not target.is_file():
        return None
    try:
        if target.suffix == ".json":
            return json.loads(target.read_text())
        with np.load(target, allow_pickle=False) as archive:
            return {k: (archive[k].item() if archive[k].ndim == 0 else archive[k]) for k in archive.files}
    except (OSError, ValueError, UnicodeDecodeError, zipfile.BadZipFile) as err:  # ValueError: bad JSON, pickled arrays
        raise ModelStoreError(f"Could not read {target}: {err}") from None


def read_history(path: str | Path) -> list[dict]:
    """A model folder's history.json (aelab.train.history's schema, older files upgraded), without its weights; []
    when absent or unreadable (a history only draws a chart)."""
    try:
        return upgrade_history(json.loads((Path(path) / HISTORY_FILE).read_text()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError, KeyError):
        return []


def write_artefact(path: str | Path, file_name: str, data: bytes) -> Path:
    """Write (or replace) cache/<file_name>, a plain .npz or .json, in an existing model folder: what is computed
    after a model was saved (its latent map, its Home card pictures). Atomic: written beside it under a hidden name,
    then renamed over it, so a reader finds the old file or the new one, never a part of one."""
    path = Path(path)
    if Path(file_name).name != file_name or Path(file_name).suffix not in (".npz", ".json"):
        raise ModelStoreError(f"Artefact {file_name!r} must be a plain .npz or .json name.")
    if not (path / CONFIG_FILE).is_file():
        raise ModelStoreError(f"No model folder at {path}.")
    folder = path / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{file_name}.", suffix=".partial", dir=folder)
    except OSError as err:
        raise ModelStoreError(f"Could not write {folder / file_name}: {err}") from None
    partial = Path(partial)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(partial, folder / file_name)
    except OSError as err:
        raise ModelStoreError(f"Could not write {folder / file_name}: {err}") from None
    finally:
        partial.unlink(missing_ok=True)
    return folder / file_name


def read_configs(path: str | Path) -> tuple[dict[str, Any], ModelConfig, TrainConfig]:
    """config.json parsed and its model and training configs validated (sizes bounded), no weights read."""
    config = read_config(path)
    try:
        return config, from_dict(ModelConfig, config["model"]), from_dict(TrainConfig, config["train"])
    except (KeyError, TypeError) as err:
        raise ModelStoreError(f"{Path(path) / CONFIG_FILE} lacks or mistypes a field ({err}).") from None
    except AelabError as err:
        raise ModelStoreError(f"{Path(path) / CONFIG_FILE} is invalid: {err}") from None


def check_weights_header(path: str | Path, model_config: ModelConfig) -> None:
    """The weights file's safetensors header against the config, without reading the weights: as many numbers as
    the config's parameter_count, and a file exactly as long as the header says (a truncated or padded file is
    refused). A ModelStoreError says what is wrong."""
    path = Path(path)
    weights_path, problem = path / WEIGHTS_FILE, f"Could not load the weights of {path}:"
    try:
        size = weights_path.stat().st_size
        with open(weights_path, "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            if size < 8 or length > min(MAX_WEIGHTS_HEADER_BYTES, size - 8):
                raise ModelStoreError(f"{problem} {WEIGHTS_FILE} is truncated or not a safetensors file.")
            header = json.loads(f.read(length))
        tensors = [v for k, v in header.items() if k != "__metadata__"]
        numbers = sum(math.prod(int(d) for d in t["shape"]) for t in tensors)
        end = max((int(t["data_offsets"][1]) for t in tensors), default=0)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
        raise ModelStoreError(f"{problem} its safetensors header is unreadable ({err}).") from None
    if numbers != model_config.parameter_count:
        raise ModelStoreError(f"{problem} {WEIGHTS_FILE} holds {numbers:,} numbers but config.json describes a "
                              f"model of {model_config.parameter_count:,}.")
    if 8 + length + end != size:
        raise ModelStoreError(f"{problem} {WEIGHTS_FILE} is {size:,} bytes but its header describes "
                              f"{8 + length + end:,}: the file is truncated or damaged.")


def load_model(path: str | Path, *, device: str | torch.device = "cpu", pretrained: bool = False) -> ModelRecord:
    """Load a model folder. Any problem is a ModelStoreError naming the folder; the model is returned in eval mode.

    The config is read and bounded first, the weights' size and header are checked against it, and only then are
    the weights read and the network built: a hostile config or weights file costs nothing to refuse."""
    from safetensors.torch import load_file

    from aelab.models.autoencoder import create_model

    path = Path(path)
    _check_folder(path)
    config, model_config, train_config = read_configs(path)
    weights_path = path / WEIGHTS_FILE
    # At most 8 bytes a number (float64) plus the header: anything longer is refused before it is even hashed.
    if weights_path.stat().st_size > 8 * model_config.parameter_count + MAX_WEIGHTS_HEADER_BYTES + 8:
        raise ModelStoreError(f"{weights_path} is far larger than the model its config.json describes.")
    if config.get("weights_sha256") != _sha256(weights_path):
        raise ModelStoreError(f"{weights_path} does not match the checksum in its config.json: the weights were "
                              "changed or corrupted after saving.")
    check_weights_header(path, model_config)
    try:
        model = create_model(model_config)
        weights = {k: v.float() if v.is_floating_point() else v for k, v in load_file(weights_path).items()}
        model.load_state_dict(weights, strict=True)
        history = json.loads((path / HISTORY_FILE).read_text()) if (path / HISTORY_FILE).is_file() else []
    except (KeyError, TypeError) as err:
        raise ModelStoreError(f"{path / CONFIG_FILE} lacks or mistypes a field ({err}).") from None
    except AelabError as err:
        raise ModelStoreError(f"{path / CONFIG_FILE} is invalid: {err}") from None
    except (SafetensorError, RuntimeError, OSError, json.JSONDecodeError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelStoreError(f"Could not load the weights of {path}: {first_line}") from None
    model.to(device).eval()
    return ModelRecord(model, path.name, path, str(config.get("variant", model_config.arch)), model_config,
                       train_config, str(config.get("dataset", "")), _metrics(config),
                       upgrade_history(history), pretrained)


@dataclass(frozen=True)
class ModelInfo:
    """A line of the model list, read from config.json alone (cheap enough to list every model on each rerun)."""

    name: str
    path: Path
    source: str  # "pretrained" | "published" | "library"
    variant: str
    latent_dim: int
    image_size: tuple[int, int]
    dataset: str
    test_mse: float | None
    error: str | None = None  # set when the model cannot load: listed, but marked, not hidden
    model_config: ModelConfig | None = None  # the validated architecture (None when the config is invalid)
    weights_sha256: str = ""  # the weights file's SHA-256, as config.json records it (checked when listed)
    train_config: TrainConfig | None = None


# path -> (the stat of its config and weights, its ModelInfo). Pages list the models many times per rerun and every
# rerun; a line is read again only when a file of the folder changed (a save replaces them: new inode and mtime).
_INFO_CACHE: dict[tuple[str, str], tuple[tuple, ModelInfo]] = {}
_INFO_CACHE_LOCK = threading.Lock()
_INFO_CACHE_MAX = 4096


def _files_signature(path: Path) -> tuple:
    signature = []
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        try:
            stat = (path / name).stat()
            signature.append((stat.st_ino, stat.st_mtime_ns, stat.st_size))
        except OSError:
            signature.append(None)
    return tuple(signature)


def _info(path: Path, source: str) -> ModelInfo:
    """_read_info(path, source), read again only when the folder's files changed."""
    key, signature = (str(path), source), _files_signature(path)
    with _INFO_CACHE_LOCK:
        cached = _INFO_CACHE.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    info = _read_info(path, source)
    with _INFO_CACHE_LOCK:
        if len(_INFO_CACHE) >= _INFO_CACHE_MAX:
            _INFO_CACHE.clear()  # a bound, not an eviction policy: refilled from a few stats and small JSONs
        _INFO_CACHE[key] = (signature, info)
    return info


def _read_info(path: Path, source: str) -> ModelInfo:
    """The folder's line; a model that cannot load (unreadable or invalid config, truncated, mismatched or changed
    weights: whatever can be told without building the network) is listed with its reason in error."""
    try:
        config, model_config, train_config = read_configs(path)
        check_weights_header(path, model_config)
        # The checksum too (a few ms for a model of this app; once per change of the files, see _info): a model
        # whose weights changed after saving is marked here, so no picker offers it and no page fails loading it.
        if config.get("weights_sha256") != _sha256(path / WEIGHTS_FILE):
            raise ModelStoreError(f"{path / WEIGHTS_FILE} does not match the checksum in its config.json: the "
                                  "weights were changed or corrupted after saving.")
        return ModelInfo(path.name, path, source, str(config.get("variant", "?")), model_config.latent_dim,
                         model_config.image_size, str(config.get("dataset", "")), _metrics(config).get("mse"),
                         model_config=model_config, weights_sha256=str(config["weights_sha256"]),
                         train_config=train_config)
    except (ModelStoreError, KeyError, TypeError, ValueError) as err:
        return ModelInfo(path.name, path, source, "?", 0, (0, 0), "", None, str(err))


def list_models(root: str | Path | None = None, pretrained_root: str | Path | None = None,
                published: str | Path | None = None) -> list[ModelInfo]:
    """Pretrained models first, then the published ones (published_root(), or the folder given), then the user's
    library, each sorted by name; hidden (staging) folders skipped, and saves killed half-way recovered first (see
    aelab.library.staging)."""
    if library_root(root).is_dir():
        recover(library_root(root))
    found = []
    for source, folder in (("pretrained", Path(pretrained_root or PRETRAINED_ROOT)),
                           ("published", Path(published) if published else published_root()),
                           ("library", library_root(root))):
        if folder.is_dir():
            found += [_info(p, source) for p in sorted(folder.iterdir())
                      if p.is_dir() and not p.name.startswith(".") and (p / CONFIG_FILE).exists()]
    return found


def resolve_model_path(name_or_path: str | Path, root: str | Path | None = None,
                       pretrained_root: str | Path | None = None) -> Path:
    """A model given as a folder path, a library name, a published name or a pretrained name (in that order of
    precedence when names clash)."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    name = validate_name(str(name_or_path))
    for folder in (library_root(root), published_root(), Path(pretrained_root or PRETRAINED_ROOT)):
        if (folder / name).is_dir():
            return folder / name
    known = ", ".join(info.name for info in list_models(root, pretrained_root)) or "none"
    raise ModelStoreError(f"No model named {name!r}; known models: {known}.")
