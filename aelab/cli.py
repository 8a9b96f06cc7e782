"""Command line: ``python -m aelab COMMAND ...``.

Each subcommand is a ``_add_<name>_command(subparsers)`` that declares its arguments and a
``cmd_<name>(args) -> int`` handler; :func:`build_parser` lists them. Handlers raise AelabError for anything
the user can fix, and :func:`main` turns it into one ``error: ...`` line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aelab import data
from aelab.download import REMOTE_SOURCES, missing_files, source_folder
from aelab.errors import AelabError

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aelab", description="Explore autoencoders on small images.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_datasets_command(subparsers)
    _add_download_command(subparsers)
    from aelab import cli_models  # train, evaluate, models, build-pretrained

    cli_models.register(subparsers, add_data_argument)
    from aelab import cli_lessons  # build-lessons

    cli_lessons.register(subparsers, add_data_argument)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (0 success, 2 a user error, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help and on bad arguments; report it as a return value
        return int(exit_.code or 0)
    try:
        return args.handler(args)
    except AelabError as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)  # one line, whatever the message holds
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# ---- datasets ------------------------------------------------------------------------------------------


def _add_datasets_command(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="list the datasets and whether each is ready to use")
    add_data_dir_argument(parser)
    parser.set_defaults(handler=cmd_datasets)


def table_lines(header: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    """A plain-text table: columns as wide as their widest cell (names can be long), those in `right` right-aligned,
    the last one left unpadded (a free-text description)."""
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    return ["  ".join([*(cell.rjust(width) if column in right else cell.ljust(width)
                         for column, (cell, width) in enumerate(zip(row, widths))), row[-1]]).rstrip()
            for row in rows]


def cmd_datasets(args: argparse.Namespace) -> int:
    """Print a table: name, image size, train/test counts, status, description."""
    rows = [(info.name, f"{info.image_size[0]}x{info.image_size[1]}", f"{info.n_train:,}", f"{info.n_test:,}",
             info.status, info.description) for info in data.list_sources(args.data_dir)]
    print("\n".join(table_lines(("name", "size", "train", "test", "status", "description"), rows, right=(2, 3))))
    print(f"\ndownload folder: {data.data_dir(args.data_dir)}")
    return 0


# ---- download ------------------------------------------------------------------------------------------


def _add_download_command(subparsers) -> None:
    parser = subparsers.add_parser("download", help="download a dataset into the local cache, verifying checksums")
    parser.add_argument("name", metavar="NAME", help=f"one of {', '.join(REMOTE_SOURCES)}")
    add_mirror_argument(parser)
    add_data_dir_argument(parser)
    parser.set_defaults(handler=cmd_download)


def cmd_download(args: argparse.Namespace) -> int:
    """Fetch the missing files of one source with a progress bar per file (on stderr)."""
    if args.name in data.BUNDLED_SOURCES:
        print(f"{args.name} is bundled with aelab's dependencies; there is nothing to download.")
        return 0
    pending = missing_files(args.name, args.data_dir)  # also rejects unknown names
    if not pending:
        print(f"{args.name} is already downloaded in {source_folder(args.name, args.data_dir)}")
        return 0
    with _ProgressBars(pending) as bars:
        folder = data.download(args.name, mirror=args.mirror, data_dir=args.data_dir, progress=bars.update)
    print(f"{args.name}: {len(REMOTE_SOURCES[args.name].checksums)} files verified in {folder}")
    return 0


class _ProgressBars:
    """One tqdm bar per file, driven by download()'s ``progress(done, total)``, which restarts at
    ``(0, total)`` for each file, in the order of ``missing_files``."""

    def __init__(self, file_names: list[str]) -> None:
        self._names = iter(file_names)
        self._bar = None
        self._shown = 0

    def update(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if done == 0:
            self._close()
            self._bar = tqdm(total=total or None, desc=next(self._names, "file"), unit="B", unit_scale=True,
                             unit_divisor=1024, file=sys.stderr, leave=True)
            self._shown = 0
        elif self._bar is not None:
            self._bar.update(done - self._shown)
            self._shown = done

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()
