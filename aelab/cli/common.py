"""What the CLI's commands share: the --data / --data-dir / --mirror / --no-budget options, loading the dataset they
name, the check every command makes of the paths it will write before it does any work, exit codes, and plain-text
tables."""
from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from aelab.data import sources as data
from aelab.data.budget import UNLIMITED, upload_budget
from aelab.errors import ConfigError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a process stopped by Ctrl-C


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir`` (the download cache; default $AELAB_DATA_DIR or the user cache folder)."""
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="folder for downloaded datasets (default: $AELAB_DATA_DIR, else the user cache folder)")

def add_mirror_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--mirror`` (a base URL replacing a downloadable source's default one)."""
    parser.add_argument("--mirror", default=None, metavar="URL",
                        help="base URL to download the IDX files from, instead of the source's default mirror")

def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--data`` (a source name or a path), ``--data-dir`` and ``--mirror``; read them with
    :func:`dataset_from_args`."""
    names = ", ".join(source.name for source in data.list_sources())
    parser.add_argument("--data", default="mnist-5k", metavar="SOURCE",
                        help=f"a source name ({names}; default mnist-5k) or a path to an IDX folder, .npz or .zip")
    parser.add_argument("--no-budget", action="store_true",
                        help="read a --data file whatever memory its images take as 32-bit floats (default: at most "
                             "$AELAB_UPLOAD_BUDGET_MB MiB, 256, the app's limit per upload)")
    add_data_dir_argument(parser)
    add_mirror_argument(parser)

def dataset_from_args(args: argparse.Namespace, *, download: bool = False) -> data.Dataset:
    """Load the dataset named by the options :func:`add_data_argument` added: a user's file within the per-upload
    memory budget unless --no-budget (a large file on one's own machine)."""
    budget = UNLIMITED if getattr(args, "no_budget", False) else upload_budget("; pass --no-budget to read it anyway")
    return data.load_dataset(args.data, data_dir=args.data_dir, mirror=args.mirror, download=download, budget=budget)


# ---- outputs ---------------------------------------------------------------------------------------------------


def check_output(path: str | Path, flag: str, *, overwrite: bool, replaces: Iterable[Path] | None = None) -> Path:
    """Refuse, before any work, an output path a command could not or must not write; returns it.

    path is the file or folder the command writes (missing folders are created). Refused: a path inside the published
    models or the students' libraries of a class server (they are written by `aelab publish` and the app only); files
    that exist (path itself, or replaces: the files written into a folder) unless overwrite; a path under a regular
    file; and a place where a file cannot be created, found by creating and removing one there (permission bits do
    not tell: root passes os.access on /proc and /sys, where nothing can be written).
    """
    path = Path(path).expanduser()
    _refuse_shared_folders(path, flag)
    existing = [p for p in ([path] if replaces is None else replaces) if p.exists()]
    if existing and not overwrite:
        raise ConfigError(f"{existing[0]} already exists; pass --overwrite to replace it.")
    anchor = next(p for p in (path, *path.absolute().parents) if p.exists())  # the filesystem root always exists
    if anchor == path and not path.is_dir():
        anchor = path.absolute().parent  # an existing file, replaced: written in its folder
    if not anchor.is_dir():
        raise ConfigError(f"{flag} {path}: {anchor} is a file, not a folder.")
    try:
        handle, probe = tempfile.mkstemp(dir=anchor, prefix=".aelab-write-check-")
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        raise ConfigError(f"{flag} {path} cannot be written: {err.strerror or err} ({anchor}).") from None
    return path


def _refuse_shared_folders(path: Path, flag: str) -> None:
    from aelab.library.namespaces import STUDENTS_DIR
    from aelab.library.store import library_root, published_root

    resolved = path.resolve()
    for folder, what in ((published_root(), "the published models (aelab publish writes there)"),
                         (library_root() / STUDENTS_DIR, "the students' own libraries")):
        if resolved.is_relative_to(folder.resolve()):
            raise ConfigError(f"{flag} {path} is inside {what}, {folder}; write somewhere else.")


def sizes_argument(flag: str, text: str | None) -> tuple[int, ...] | None:
    """Layer sizes given with a flag (e.g. --hidden 512,256), or None when not given; an empty list is an error,
    not a model without hidden layers."""
    from aelab.models.ranges import parse_sizes

    if text is None:
        return None
    sizes = parse_sizes(flag, text)
    if not sizes:
        raise ConfigError(f"{flag} must list at least one size, e.g. {flag} 256,128; got {text!r}.")
    return sizes

def table_lines(header: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    """A plain-text table: columns as wide as their widest cell (names can be long), those in `right` right-aligned,
    the last one left unpadded (a free-text description)."""
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    return ["  ".join([*(cell.rjust(width) if column in right else cell.ljust(width)
                         for column, (cell, width) in enumerate(zip(row, widths))), row[-1]]).rstrip()
            for row in rows]
