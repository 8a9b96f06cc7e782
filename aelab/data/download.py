"""Download the standard IDX datasets (MNIST, Fashion-MNIST, KMNIST) into a local cache, verified by MD5.

Each file is streamed to a hidden temporary name in the destination folder, checked against its published
checksum, then moved into place with ``os.replace`` (atomic on one filesystem). Whatever goes wrong (HTTP error,
connection cut, checksum mismatch, Ctrl-C) the files this call fetched are removed, so the cache only ever
holds complete, verified sources, and a cached file is never fetched again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from aelab.errors import DataError

# Sources that ship inside installed packages; named in messages as the offline alternative.
BUNDLED_SOURCE_NAMES = ("mnist-5k", "digits", "shapes")
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
DOWNLOAD_TIMEOUT_S = 30  # per blocking socket operation, not for the whole file
_CHUNK_BYTES = 64 * 1024

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class RemoteSource:
    """A dataset published as the four standard gzipped IDX files.

    ``checksums`` maps each file name to its published MD5 (the ones torchvision verifies against); tests swap
    in their own with ``dataclasses.replace``.
    """

    name: str
    description: str
    mirror: str  # base URL; a file's URL is mirror + file name
    checksums: Mapping[str, str]
    class_names: tuple[str, ...]
    image_size: tuple[int, int] = (28, 28)
    n_train: int = 60_000
    n_test: int = 10_000


_DIGIT_NAMES = tuple(str(digit) for digit in range(10))
REMOTE_SOURCES: dict[str, RemoteSource] = {
    "mnist": RemoteSource(
        name="mnist",
        description="MNIST handwritten digits, the full 60k/10k set",
        mirror="https://ossci-datasets.s3.amazonaws.com/mnist/",
        checksums={
            TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
            TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
            TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
        },
        class_names=_DIGIT_NAMES,
    ),
    "fashion-mnist": RemoteSource(
        name="fashion-mnist",
        description="Zalando Fashion-MNIST clothing images",
        mirror="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        checksums={
            TRAIN_IMAGES: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            TRAIN_LABELS: "25c81989df183df01b3e8a0aad5dffbe",
            TEST_IMAGES: "bef4ecab320f06d8554ea6380940ec79",
            TEST_LABELS: "bb300cfdad3c16e7a12a480ee83cd310",
        },
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
    "kmnist": RemoteSource(
        name="kmnist",
        description="Kuzushiji-MNIST cursive Japanese hiragana",
        mirror="http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        checksums={
            TRAIN_IMAGES: "bdb82020997e1d708af4cf47b453dcf7",
            TRAIN_LABELS: "e144d726b3acfaa3e44228e80efcd344",
            TEST_IMAGES: "5c965bf0a639b31b8f53240b1b52f4d7",
            TEST_LABELS: "7320c461ea6c1c855c0b718fb2a4b134",
        },
        class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
    ),
}


def data_dir(data_dir: str | Path | None = None) -> Path:
    """The cache folder for downloaded sources: ``data_dir`` if given, else $AELAB_DATA_DIR, else
    ``platformdirs.user_cache_dir("aelab")/data``. Not created here; :func:`download` creates it."""
    return _cache_root(data_dir)


def _cache_root(explicit: str | Path | None) -> Path:
    # A separate name so that functions taking a ``data_dir`` argument can still reach this logic.
    if explicit is not None:
        return Path(explicit).expanduser()
    from_env = os.environ.get("AELAB_DATA_DIR")
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_cache_dir("aelab")) / "data"


def remote_source(name: str) -> RemoteSource:
    """The registered downloadable source called ``name``; DataError listing the valid names otherwise."""
    try:
        return REMOTE_SOURCES[name]
    except KeyError:
        raise DataError(
            f"{name!r} is not a downloadable source; choose one of {', '.join(REMOTE_SOURCES)} "
            f"({_bundled_names()} are bundled and need no download)."
        ) from None


def _bundled_names() -> str:
    """"mnist-5k, digits and shapes": the bundled sources in a sentence."""
    return ", ".join(BUNDLED_SOURCE_NAMES[:-1]) + " and " + BUNDLED_SOURCE_NAMES[-1]


def source_folder(name: str, data_dir: str | Path | None = None) -> Path:
    """Where the files of the downloadable source ``name`` live: ``data_dir()/name``."""
    return _cache_root(data_dir) / remote_source(name).name


def missing_files(name: str, data_dir: str | Path | None = None) -> list[str]:
    """The file names of source ``name`` not yet in the cache, in the order :func:`download` fetches them."""
    folder = source_folder(name, data_dir)
    return [file_name for file_name in remote_source(name).checksums if not (folder / file_name).is_file()]


def is_cached(name: str, data_dir: str | Path | None = None) -> bool:
    """True when every file of source ``name`` is in the cache (only verified files ever get there)."""
    return not missing_files(name, data_dir)


def download(
    name: str,
    *,
    mirror: str | None = None,
    data_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Fetch the missing files of source ``name`` into ``data_dir()/name`` and return that folder.

    ``mirror`` replaces the source's base URL (``mirror + file name`` is fetched). ``progress(bytes_done,
    bytes_total)`` is called with ``(0, total)`` when each file starts and after every chunk; ``total`` is 0
    when the server does not say. Cached files are not fetched again, so a second call makes no request.
    Raises DataError (with nothing left behind) on an unreachable mirror, an HTTP error, a cut connection or
    a checksum mismatch; KeyboardInterrupt also cleans up, then propagates.
    """
    source = remote_source(name)
    base_url = _base_url(mirror or source.mirror)
    folder = source_folder(name, data_dir)
    created_folder = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fetched: list[Path] = []
    try:
        for file_name in missing_files(name, data_dir):
            target = folder / file_name
            _fetch_verified(base_url + file_name, target, source.checksums[file_name], source.name, progress)
            fetched.append(target)
    except BaseException:
        for path in fetched:  # all or nothing: never leave a half-downloaded source
            path.unlink(missing_ok=True)
        if created_folder and not any(folder.iterdir()):
            folder.rmdir()
        raise
    return folder


def _base_url(url: str) -> str:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DataError(f"The mirror {url!r} is not an http:// or https:// URL.")
    return url if url.endswith("/") else url + "/"


def _fetch_verified(url: str, target: Path, expected_md5: str, source_name: str,
                    progress: ProgressCallback | None) -> None:
    """Stream ``url`` into a temporary file beside ``target``, check its MD5, then move it into place."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as sink:
            actual_md5 = _stream_to(url, sink, source_name, progress)
        if actual_md5 != expected_md5:
            raise DataError(
                f"The download of {target.name} from {url} failed its checksum (MD5 {actual_md5}, expected "
                f"{expected_md5}): the mirror serves a different or damaged file, so it was not kept."
            )
        os.chmod(temp_path, 0o644)  # mkstemp makes it private; the cache holds public data
        os.replace(temp_path, target)
    finally:
        temp_path.unlink(missing_ok=True)  # a no-op after os.replace


def _stream_to(url: str, sink, source_name: str, progress: ProgressCallback | None) -> str:
    """Copy the body of ``url`` into ``sink``; return its MD5 hex digest. Network failures -> DataError."""
    digest = hashlib.md5()  # the published checksums are MD5: integrity, not security
    file_name = url.rsplit("/", 1)[-1]
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            if progress:
                progress(0, total)
            while chunk := response.read(_CHUNK_BYTES):
                sink.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except urllib.error.HTTPError as err:
        raise DataError(f"The download of {url} failed: the server answered HTTP {err.code} {err.reason}.") from None
    except urllib.error.URLError as err:
        raise DataError(_offline_message(source_name, url, err.reason)) from None
    except (http.client.HTTPException, OSError) as err:  # reset, timeout or malformed reply mid-transfer
        raise DataError(
            f"The download of {file_name} from {url} was cut off ({type(err).__name__}: {err}), so it was not kept."
        ) from None
    if total and done < total:
        # http.client returns b"" rather than raising when a server closes before Content-Length is reached.
        raise DataError(
            f"The download of {file_name} from {url} was cut off after {done:,} of {total:,} bytes, "
            "so it was not kept."
        )
    return digest.hexdigest()


def _offline_message(source_name: str, url: str, reason: object) -> str:
    host = urllib.parse.urlsplit(url).netloc
    bundled = _bundled_names()
    return (
        f"Downloading {source_name} failed because the mirror {host} could not be reached ({reason}); "
        f"{bundled} are bundled and work offline."
    )
