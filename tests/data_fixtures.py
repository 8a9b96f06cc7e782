"""Helpers for the data tests: synthetic IDX sources and a throw-away HTTP mirror on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from aelab.data import download as download_module
from aelab.data.download import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from aelab.data.idx import write_idx

N_TRAIN, N_TEST = 30, 10


def synthetic_source_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """Four small arrays shaped like an MNIST source: (N, 28, 28) uint8 images, (N,) uint8 labels 0-9."""
    rng = np.random.default_rng(seed)
    return {
        TRAIN_IMAGES: rng.integers(0, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8),
        TRAIN_LABELS: (np.arange(N_TRAIN) % 10).astype(np.uint8),
        TEST_IMAGES: rng.integers(0, 256, size=(N_TEST, 28, 28), dtype=np.uint8),
        TEST_LABELS: (np.arange(N_TEST) % 10).astype(np.uint8),
    }


def write_synthetic_source(folder: Path, seed: int = 0) -> dict[str, str]:
    """Write the four gzipped IDX files into ``folder``; return {file name: MD5}."""
    folder.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for file_name, array in synthetic_source_arrays(seed).items():
        write_idx(folder / file_name, array)
        checksums[file_name] = hashlib.md5((folder / file_name).read_bytes()).hexdigest()
    return checksums


def register_test_source(monkeypatch, name: str, mirror: str, checksums: dict[str, str]) -> None:
    """Point the registered source ``name`` at ``mirror`` with the synthetic files' checksums and sizes (what the
    catalogue says of a source, e.g. Home's caption, without loading it)."""
    source = download_module.REMOTE_SOURCES[name]
    patched = dataclasses.replace(source, mirror=mirror, checksums=dict(checksums), n_train=N_TRAIN, n_test=N_TEST)
    monkeypatch.setitem(download_module.REMOTE_SOURCES, name, patched)


class LocalMirror:
    """Serves a folder over HTTP on 127.0.0.1 (a free port) from a background thread.

    Paths in ``cut_files`` are answered with a Content-Length twice their size, half the bytes, and a closed
    connection: what a download cut off half-way looks like. ``requests`` counts the requests served.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cut_files: set[str] = set()
        self.requests = 0
        mirror = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(mirror.folder), **kwargs)

            def do_GET(self):
                mirror.requests += 1
                file_name = self.path.lstrip("/")
                if file_name not in mirror.cut_files:
                    return super().do_GET()
                body = (mirror.folder / file_name).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(2 * len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def serving_source(folder: Path, monkeypatch, name: str) -> Iterator[LocalMirror]:
    """Write the synthetic IDX files into folder, serve them from a LocalMirror and register them as the source
    `name` (e.g. "mnist"); the server stops on exit."""
    checksums = write_synthetic_source(folder)
    server = LocalMirror(folder)
    register_test_source(monkeypatch, name, server.url, checksums)
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: the port was free a moment ago and is closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def files_under(folder: Path) -> list[Path]:
    """Every file (not folder) below ``folder``, hidden temporary files included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
