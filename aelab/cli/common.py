"""What the CLI's commands share: the --data / --data-dir / --mirror options, loading the dataset they name, exit
codes, and plain-text tables."""
from __future__ import annotations

import argparse
from pathlib import Path

from aelab.data import sources as data

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
    add_data_dir_argument(parser)
    add_mirror_argument(parser)

def dataset_from_args(args: argparse.Namespace, *, download: bool = False) -> data.Dataset:
    """Load the dataset named by the options :func:`add_data_argument` added."""
    return data.load_dataset(args.data, data_dir=args.data_dir, mirror=args.mirror, download=download)

def table_lines(header: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    """A plain-text table: columns as wide as their widest cell (names can be long), those in `right` right-aligned,
    the last one left unpadded (a free-text description)."""
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    return ["  ".join([*(cell.rjust(width) if column in right else cell.ljust(width)
                         for column, (cell, width) in enumerate(zip(row, widths))), row[-1]]).rstrip()
            for row in rows]
