"""CLI command export: ``python -m aelab export MODEL --onnx DIR`` writes the model's encoder and decoder as ONNX
files and a JSON sidecar (latent size, image size, output activation)."""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export a model's encoder and decoder as ONNX files")
    p.add_argument("model", help="a model folder, or the name of a library or pretrained model")
    p.add_argument("--onnx", required=True, metavar="DIR", help="folder to write NAME.{encoder,decoder}.onnx and "
                   "NAME.json into (created if missing)")
    p.add_argument("--overwrite", action="store_true", help="replace files of those names in DIR")
    p.set_defaults(handler=cmd_export)


def cmd_export(args) -> int:
    from pathlib import Path

    from aelab.cli.common import check_output
    from aelab.errors import ConfigError
    from aelab.export.onnx import export_model, file_names
    from aelab.library.store import load_model, resolve_model_path

    record = load_model(resolve_model_path(args.model))
    out = Path(args.onnx)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder; give --onnx a folder to write into.")
    check_output(out, "--onnx", overwrite=args.overwrite, replaces=[out / name for name in file_names(record.name)])
    for path in export_model(record.model, out, record.name):
        print(f"wrote {path}  ({path.stat().st_size:,} bytes)")
    return 0
