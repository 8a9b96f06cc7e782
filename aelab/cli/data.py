"""CLI commands about datasets: datasets (list them and their status) and download (fetch and verify one)."""
from __future__ import annotations

import argparse
import sys

from aelab.cli.common import add_data_dir_argument, add_mirror_argument, check_output, table_lines
from aelab.data import sources as data
from aelab.data.download import REMOTE_SOURCES, missing_files, source_folder


def register(subparsers) -> None:
    _add_datasets_command(subparsers)
    _add_download_command(subparsers)


# ---- datasets ------------------------------------------------------------------------------------------


def _add_datasets_command(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="list the datasets and whether each is ready to use")
    add_data_dir_argument(parser)
    parser.set_defaults(handler=cmd_datasets)


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
    # Only missing files are fetched (verified ones are never replaced), so no --overwrite is asked for.
    check_output(source_folder(args.name, args.data_dir), "--data-dir", overwrite=True)
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
