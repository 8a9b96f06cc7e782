"""CLI command encode: a model's codes of a dataset split written to an .npz, with the labels and, where the source
has them (shapes), the known factors, so the codes can be studied outside aelab (registered by aelab.cli.main)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from aelab.errors import ConfigError, ModelStoreError


def register(subparsers, add_data_argument) -> None:
    p = subparsers.add_parser("encode", help="write a model's codes of a dataset to an .npz (the means for a VAE)")
    p.add_argument("model", help="a model folder, or the name of a library or pretrained model")
    add_data_argument(p)
    p.add_argument("--split", default="test", choices=("train", "test", "all"),
                   help="which images (default test; all = train then test)")
    p.add_argument("--out", required=True, help="the .npz file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(handler=cmd_encode)


def cmd_encode(args) -> int:
    """Keys written: z (N, latent_dim) float32, y (N,) int64 (-1 unlabelled), class_names, model, data, split; and
    factors (N, F) int64, factor_names, factor_sizes when the source has known factors."""
    import torch

    from aelab.analysis.latent import encode_dataset
    from aelab.cli.common import check_output, dataset_from_args
    from aelab.library.store import load_model, resolve_model_path

    out = Path(args.out)
    if out.suffix != ".npz":
        raise ConfigError(f"--out must name an .npz file, got {out}.")
    if not out.parent.is_dir():
        raise ConfigError(f"The folder {out.parent} does not exist.")
    check_output(out, "--out", overwrite=args.overwrite)
    record = load_model(resolve_model_path(args.model))
    dataset = dataset_from_args(args)
    if tuple(record.model_config.image_size) != tuple(dataset.image_size):
        raise ModelStoreError(f"Model {record.name} was trained on {record.model_config.image_size} images but "
                              f"{dataset.name} has {dataset.image_size} images.")
    splits = ("train", "test") if args.split == "all" else (args.split,)
    x = torch.cat([dataset.split(name)[0] for name in splits])
    arrays = {"z": encode_dataset(record.model, x).numpy().astype(np.float32),
              "y": torch.cat([dataset.split(name)[1] for name in splits]).numpy(),
              "class_names": np.array(dataset.class_names, dtype=str), "model": np.str_(record.name),
              "data": np.str_(dataset.name), "split": np.str_(args.split)}
    if dataset.factors is not None:
        arrays.update(factors=np.concatenate([dataset.factors.split(name) for name in splits]),
                      factor_names=np.array(dataset.factors.names, dtype=str),
                      factor_sizes=np.array(dataset.factors.sizes, dtype=np.int64))
    np.savez(out, **arrays)
    extra = " and factors" if dataset.factors is not None else ""
    print(f"wrote {out}: {len(x):,} codes of size {arrays['z'].shape[1]} from {record.name} on "
          f"{dataset.name}/{args.split}, with labels{extra}")
    return 0
