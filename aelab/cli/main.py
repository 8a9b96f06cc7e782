"""Command line: ``python -m aelab COMMAND ...``.

Each subcommand is a ``_add_<name>_command(subparsers)`` that declares its arguments and a
``cmd_<name>(args) -> int`` handler; :func:`build_parser` lists them. Handlers raise AelabError for anything
the user can fix, and :func:`main` turns it into one ``error: ...`` line on stderr and exit code 2; so too an OSError
(a disk full, a folder that vanished after the handler checked its outputs), which is about the user's files.
"""

from __future__ import annotations

import argparse
import sys

from aelab.cli import applications as application_commands
from aelab.cli import data as data_commands
from aelab.cli import encode as encode_commands
from aelab.cli import export as export_commands
from aelab.cli import lesson_file as lesson_file_commands
from aelab.cli import lessons as lesson_commands
from aelab.cli import models as model_commands
from aelab.cli import publish as publish_commands
from aelab.cli import toy as toy_commands
from aelab.cli.common import EXIT_INTERRUPTED, EXIT_USER_ERROR, add_data_argument
from aelab.errors import AelabError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aelab", description="Explore autoencoders on small images.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data_commands.register(subparsers)  # datasets, download
    model_commands.register(subparsers, add_data_argument)  # train, evaluate, models, build-pretrained
    lesson_commands.register(subparsers, add_data_argument)  # build-lessons
    toy_commands.register(subparsers)  # toy list, toy train (the Playground's data and models)
    export_commands.register(subparsers)  # export MODEL --onnx DIR
    lesson_file_commands.register(subparsers, add_data_argument)  # lesson MODEL --page PAGE --out FILE.html
    encode_commands.register(subparsers, add_data_argument)  # encode
    publish_commands.register(subparsers)  # publish NAME: shared read-only on a class server
    application_commands.register(subparsers)  # applications compression|superres|watermark|memorisation
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
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        print(f"error: {' '.join(str(err.strerror or err).split())}{where}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
