"""CLI commands about models: train, evaluate, models, build-pretrained (registered by aelab.cli.main)."""
from __future__ import annotations

import json
import sys

from tqdm import tqdm

from aelab.cli.common import table_lines
from aelab.errors import ConfigError


def _number(flag: str, text: str | None):
    """A numeric flag checked against the config's own range (the Train page uses the same): one `error:` line
    naming the flag and the range, rather than argparse's usage block or a silently truncated value."""
    from aelab.models.ranges import RANGES

    return None if text is None else RANGES[flag.lstrip("-").replace("-", "_")].parse(flag, text)


def _noise(text: str) -> tuple[str, float]:
    """TYPE:LEVEL, the level checked against the range of that noise type."""
    from aelab.models.config import noise_level_range

    kind, _, level = text.partition(":")
    return kind, noise_level_range(kind).parse(f"--noise {kind}:LEVEL", level) if level else 0.0


def register(subparsers, add_data_argument) -> None:
    p = subparsers.add_parser("train", help="train a model and save it as a model folder")
    p.add_argument("--variant", required=True, help="one of: " + ", ".join(_variant_names()))
    add_data_argument(p)
    p.add_argument("--out", required=True, help="the model folder to write (its name must be a valid model name)")
    # Numbers are parsed in cmd_train against the configs' ranges, so a bad value is one `error:` line.
    p.add_argument("--latent-dim")
    p.add_argument("--hidden", help="hidden sizes (mlp) or channels (conv), e.g. 512,256")
    p.add_argument("--epochs")
    p.add_argument("--batch-size")
    p.add_argument("--lr")
    p.add_argument("--beta", help="KL weight (variational models)")
    p.add_argument("--recon-loss", choices=("bce", "mse", "cb"),
                   help="reconstruction loss: bce, mse or cb (continuous Bernoulli, whose ELBO is on another scale "
                        "than BCE's; the reconstruction shown is its mean)")
    p.add_argument("--codebook-size", help="VQ-VAE: the number of codes K (2 to 1024, at most the training images)")
    p.add_argument("--commitment-weight", help="VQ-VAE: weight of the commitment loss")
    p.add_argument("--noise", help="input corruption for denoising, TYPE:LEVEL: gaussian:SIGMA, dropout:P, "
                   "salt_and_pepper:FRACTION, box:SIDE or rows:COUNT")
    p.add_argument("--seed")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model folder")
    p.set_defaults(handler=cmd_train)

    p = subparsers.add_parser("evaluate", help="evaluate a model folder on a dataset split (on a source with known "
                              "factors, such as shapes, also MIG, DCI and SAP)",
                              description="Prints mse (per pixel), psnr (dB: the mean over images of each image's "
                              "10 log10(1 / MSE), pixels in [0, 1]), bce (nats per image) and, for variational "
                              "models, kl and neg_elbo (nats per image); on a source with known factors also mig, "
                              "dci and sap. --metrics chooses which (DCI's gradient boosting takes minutes: its "
                              "factors are fitted in parallel, one process per core).")
    p.add_argument("model", help="a model folder, or the name of a library or pretrained model")
    add_data_argument(p)
    p.add_argument("--split", default="test", choices=("train", "test"))
    p.add_argument("--metrics", help="comma-separated, the only ones computed and printed: "
                   + ", ".join(IMAGE_METRICS + FACTOR_METRICS) + " (e.g. mse,psnr,mig,sap: no DCI, whose gradient "
                   "boosting takes minutes); default: all that apply")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_evaluate)

    p = subparsers.add_parser("models", help="list the pretrained and library models",
                              description="Each model with its stored test mse (per pixel) and psnr (dB, the mean "
                              "over test images of each image's PSNR).")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_models)

    p = subparsers.add_parser("build-pretrained", help="rebuild the shipped pretrained models deterministically")
    p.add_argument("--out", default=None, help="folder to write (default: the package's pretrained/, rebuilt in "
                   "place)")
    p.add_argument("--only", default=None, help="comma-separated names to rebuild")
    p.add_argument("--overwrite", action="store_true", help="replace model folders of the same names in --out")
    p.add_argument("--artefacts-only", action="store_true",
                   help="keep the trained weights; only recompute the precomputed artefacts (projections)")
    p.add_argument("--artefacts", default=None,
                   help="with --artefacts-only: comma-separated artefacts to recompute (e.g. umap_test, or cards: "
                        "Home's pictures); the other cache/ files are kept")
    p.set_defaults(handler=cmd_build_pretrained)


IMAGE_METRICS = ("mse", "psnr", "bce", "kl", "neg_elbo")  # aelab.train.evaluation.evaluate (kl, neg_elbo: VAEs)
FACTOR_METRICS = ("mig", "dci", "sap")  # on a source with known factors (aelab.analysis.factor_scores)


def _chosen_metrics(text: str | None) -> tuple[str, ...] | None:
    """--metrics as a tuple of valid names in the order given, None when not given; an unknown name is refused."""
    if text is None:
        return None
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in IMAGE_METRICS + FACTOR_METRICS]
    if unknown or not names:
        raise ConfigError(f"Unknown metric {(unknown or [text])[0]!r} in --metrics; valid: "
                          f"{', '.join(IMAGE_METRICS + FACTOR_METRICS)}.")
    return names


def _variant_names() -> list[str]:
    from aelab.models.variants import VARIANTS

    return list(VARIANTS)


def cmd_train(args) -> int:
    from pathlib import Path

    from aelab.cli.common import check_output, dataset_from_args, sizes_argument
    from aelab.library.store import save_model, validate_name
    from aelab.models.autoencoder import create_model
    from aelab.models.conditional import check_training_data
    from aelab.models.variants import make_configs
    from aelab.train.evaluation import evaluate
    from aelab.train.loop import steps_per_epoch
    from aelab.train.trainer import Trainer

    out = Path(args.out)
    validate_name(out.name)
    check_output(out, "--out", overwrite=args.overwrite)  # before the data is read and the model trained
    hidden = sizes_argument("--hidden", args.hidden)
    model_changes = {k: v for k, v in {"latent_dim": _number("--latent-dim", args.latent_dim),
                                       "hidden": hidden,
                                       "codebook_size": _number("--codebook-size", args.codebook_size)}.items()
                     if v is not None}
    train_changes = {k: v for k, v in {"epochs": _number("--epochs", args.epochs),
                                       "batch_size": _number("--batch-size", args.batch_size),
                                       "lr": _number("--lr", args.lr), "beta": _number("--beta", args.beta),
                                       "seed": _number("--seed", args.seed), "device": args.device,
                                       "recon_loss": args.recon_loss,
                                       "commitment_weight": _number("--commitment-weight",
                                                                    args.commitment_weight)}.items()
                     if v is not None}
    if args.noise:
        noise, level = _noise(args.noise)
        train_changes.update(noise=noise, noise_level=level)
    dataset = dataset_from_args(args)
    model_config, train_config = make_configs(args.variant, dataset.image_size, model_changes, train_changes)
    check_training_data(model_config, len(dataset.x_train), dataset.y_train)  # before anything is built
    model = create_model(model_config, train_config.seed)
    trainer = Trainer(model, dataset.x_train, train_config, dataset.x_test, y_train=dataset.y_train,
                      y_val=dataset.y_test)
    steps = steps_per_epoch(len(dataset.x_train), train_config.batch_size)
    with tqdm(total=steps * train_config.epochs if not model_config.is_baseline else 1, unit="step",
              desc=args.variant, file=sys.stderr) as bar:
        _progress_bar(trainer, bar).run()
        bar.update(bar.total - bar.n)
    metrics = evaluate(model, dataset.x_test, y=dataset.y_test)
    path = save_model(model, out.name, variant=args.variant, train_config=train_config, dataset=dataset.name,
                      metrics=metrics, history=trainer.history, root=out.parent, overwrite=args.overwrite)
    print(f"saved {path}  test mse={metrics['mse']:.5f}  psnr={metrics['psnr']:.2f} dB")
    return 0


def _progress_bar(trainer, bar):
    """The tqdm bar as the trainer's callbacks: it moves with the steps and shows each epoch's losses."""
    def on_step_end(t):
        bar.update(t.progress.step - bar.n)

    def on_epoch_end(t):
        if t.is_baseline:  # one closed-form fit: the bar just fills (cmd_train prints its test MSE)
            return
        bar.update(t.progress.step - bar.n)
        last = t.history[-1]
        bar.set_postfix(epoch=last["epoch"], loss=f"{last['train']['total']:.2f}",
                        val=f"{(last['val'] or {}).get('total', float('nan')):.2f}")

    return trainer.add_callback("on_step_end", on_step_end).add_callback("on_epoch_end", on_epoch_end)


def cmd_evaluate(args) -> int:
    from aelab.cli.common import dataset_from_args
    from aelab.errors import ModelStoreError
    from aelab.library.store import load_model, resolve_model_path
    from aelab.train.evaluation import evaluate

    chosen = _chosen_metrics(args.metrics)  # before anything is loaded: a typo costs nothing
    record = load_model(resolve_model_path(args.model))
    dataset = dataset_from_args(args)
    if tuple(record.model_config.image_size) != tuple(dataset.image_size):
        raise ModelStoreError(f"Model {record.name} was trained on {record.model_config.image_size} images but "
                              f"{dataset.name} has {dataset.image_size} images.")
    _check_applies(chosen, record, dataset)
    x, y = dataset.split(args.split)
    metrics = evaluate(record.model, x, y=y) if chosen is None or set(chosen) & set(IMAGE_METRICS) else {}
    factors = FACTOR_METRICS if chosen is None else tuple(m for m in FACTOR_METRICS if m in chosen)
    if dataset.factors is not None and factors:  # how disentangled the codes are (both splits; DCI takes minutes)
        metrics.update(_factor_scores(record.model, dataset, factors))
    if chosen is not None:
        metrics = {name: metrics[name] for name in chosen}
    if args.json:
        print(json.dumps({"model": record.name, "variant": record.variant, "data": dataset.name, "split": args.split,
                          **metrics}))
    else:
        print(f"{record.name} ({record.variant}) on {dataset.name}/{args.split}: "
              + "  ".join(f"{k}={'/'.join(f'{x:.3g}' for x in v) if isinstance(v, list) else f'{v:.5g}'}"
                          for k, v in metrics.items()))
    return 0


def _check_applies(chosen: tuple[str, ...] | None, record, dataset) -> None:
    """Every metric asked for can be computed for this model on this data; else one message naming the first."""
    for name in chosen or ():
        if name in ("kl", "neg_elbo") and not record.model_config.variational:
            raise ConfigError(f"{name} is defined for variational models only; {record.name} is a "
                              f"{record.variant}.")
        if name in FACTOR_METRICS and dataset.factors is None:
            raise ConfigError(f"{name} needs a source with known factors (such as shapes); {dataset.name} has "
                              "none.")


def _factor_scores(model, dataset, which: tuple[str, ...]) -> dict:
    """{"mig": float, "dci": [disentanglement, completeness, informativeness], "sap": float}, those of which, with
    a progress bar (MIG is computed whatever which says: it takes seconds)."""
    from aelab.analysis.factor_scores import score_model

    with tqdm(total=100, desc=", ".join(name.upper() for name in which), unit="%", file=sys.stderr) as bar:
        scores = score_model(model, dataset, which=which, on_progress=lambda fraction, text: (
            bar.update(round(fraction * 100) - bar.n), bar.set_postfix_str(text)))
    return {name: value for name, value in scores.summary().items() if name in which}


def cmd_models(args) -> int:
    from aelab.library.store import list_models

    infos = list_models()
    if args.json:
        print(json.dumps([{"name": i.name, "source": i.source, "variant": i.variant, "latent_dim": i.latent_dim,
                           "dataset": i.dataset, "test_mse": i.test_mse, "path": str(i.path), "error": i.error}
                          for i in infos]))
        return 0
    rows = [(i.name, i.source, i.variant, str(i.latent_dim), i.dataset,
             f"{i.test_mse:.5f}" if i.test_mse is not None else "-",
             f"(invalid, cannot be loaded: {i.error})" if i.error else "") for i in infos]
    print("\n".join(table_lines(("name", "source", "variant", "latent", "dataset", "test mse", ""), rows,
                                right=(3, 5))))
    return 0


def _check_pretrained_out(args, names: list[str]) -> None:
    """--out checked before hours of training: writable, not a shared folder. Rebuilding the package's own folder
    (no --out) replaces its models, as it always has; another folder keeps its models unless --overwrite (and
    --artefacts-only works on the models already there)."""
    from pathlib import Path

    from aelab.cli.common import check_output
    from aelab.library.store import PRETRAINED_ROOT

    out = Path(args.out or PRETRAINED_ROOT)
    replaced = None if args.out is None or args.artefacts_only else [out / name for name in names]
    check_output(out, "--out", overwrite=args.overwrite or replaced is None, replaces=replaced)


def cmd_build_pretrained(args) -> int:
    from aelab.library.pretrained import PRETRAINED, build_all
    from aelab.library.store import PRETRAINED_ROOT

    names = [n.strip() for n in args.only.split(",")] if args.only else None
    _check_pretrained_out(args, names or list(PRETRAINED))
    if args.artefacts_only:
        from aelab.library.pretrained import rebuild_artefacts

        with tqdm(total=len(names or PRETRAINED), unit="model", file=sys.stderr) as bar:
            rows = rebuild_artefacts(args.out or PRETRAINED_ROOT, names,
                                     on_model=lambda row: (bar.update(1), bar.set_postfix(last=row["name"])),
                                     **({"builders": [a.strip() for a in args.artefacts.split(",")]}
                                        if args.artefacts else {}))
        print("\n".join(table_lines(("name", "seconds", "cache/"), [
            (r["name"], f"{r['seconds']:.1f}", ", ".join(r["files"]) or "-") for r in rows], right=(1,))))
        return 0
    with tqdm(total=len(names or PRETRAINED), unit="model", file=sys.stderr) as bar:
        rows = build_all(args.out or PRETRAINED_ROOT, names, on_model=lambda row: (bar.update(1),
                                                                                  bar.set_postfix(last=row["name"])))
    print("\n".join(table_lines(("name", "variant", "latent", "epochs", "seconds", "test mse", "psnr"), [
        (r["name"], r["variant"], str(r["latent_dim"]), str(r["epochs"]), f"{r['train_seconds']:.1f}",
         f"{r['mse']:.5f}", f"{r['psnr']:.2f}") for r in rows], right=(2, 3, 4, 5))))
    return 0
