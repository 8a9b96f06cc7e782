"""CLI commands for the Playground's toy data: `toy list` and `toy train` (aelab.cli.main registers them).

`python -m aelab toy train --data spiral --variant denoising_ae --json` trains exactly what the Playground page
trains (aelab.lessons.playground) and prints its metrics: recon_error, noisy_distance, denoised_distance...
"""
from __future__ import annotations

import json
import sys

from tqdm import tqdm

from aelab.cli.common import sizes_argument, table_lines


def register(subparsers, add_data_argument=None) -> None:
    toy = subparsers.add_parser("toy", help="autoencoders on 2-D and 3-D toy data (the Playground page)")
    commands = toy.add_subparsers(dest="toy_command", required=True, metavar="TOY_COMMAND")
    p = commands.add_parser("list", help="list the toy data sets and the toy variants")
    p.set_defaults(handler=cmd_toy_list)

    from aelab.data.toy import N_RANGE, TOY_SETS
    from aelab.models.variants import TOY_VARIANTS

    p = commands.add_parser("train", help="train a toy variant on a toy set and print its metrics")
    p.add_argument("--data", default="spiral", help=f"one of: {', '.join(TOY_SETS)} (default spiral)")
    p.add_argument("--variant", default="denoising_ae", help=f"one of: {', '.join(TOY_VARIANTS)}")
    p.add_argument("--n", type=int, default=1000, help=f"number of points, {N_RANGE[0]}-{N_RANGE[1]} (default 1000)")
    p.add_argument("--noise", type=float, default=None, help="the data's own noise (default: the set's)")
    p.add_argument("--corruption", type=float, default=None,
                   help="the denoising AE's Gaussian corruption sigma, in standardised units")
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--latent-dim", type=int)
    p.add_argument("--hidden", help="hidden sizes, e.g. 64,64")
    p.add_argument("--seed", type=int, default=0, help="seeds the data and the model (default 0)")
    p.add_argument("--compare", action="store_true", help="for a penalised variant (contractive_ae): also train its "
                   "plain twin to the same reconstruction error and report both contraction ratios")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: these models are tiny)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_toy_train)


def cmd_toy_list(args) -> int:
    from aelab.data.toy import TOY_SETS
    from aelab.models.variants import TOY_VARIANTS

    print("\n".join(table_lines(("set", "dim", "noise", "description"),
                                [(s.name, str(s.dim), f"{s.default_noise:g}", s.description)
                                 for s in TOY_SETS.values()])))
    print()
    print("\n".join(table_lines(("variant", "description"), [(v.name, v.description) for v in TOY_VARIANTS.values()])))
    return 0


def _changes(args) -> tuple[dict, dict]:
    hidden = sizes_argument("--hidden", args.hidden)
    model = {k: v for k, v in (("latent_dim", args.latent_dim), ("hidden", hidden)) if v is not None}
    train = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr), ("seed", args.seed),
                               ("noise_level", args.corruption)) if v is not None}
    return model, train


def cmd_toy_train(args) -> int:
    import torch

    from aelab.data.toy import make_toy
    from aelab.lessons.playground import ToyRun, contraction_at_matched_error

    torch.set_num_threads(max(1, args.threads))
    data = make_toy(args.data, n=args.n, noise=args.noise, seed=args.seed)
    model, train = _changes(args)
    run = ToyRun(data, args.variant, model, train, reference=False)
    quiet = args.json and not sys.stderr.isatty()
    with tqdm(total=run.total_epochs, file=sys.stderr, unit="epoch", disable=quiet) as bar:
        run.step_epochs(run.total_epochs, on_epoch=lambda r: bar.update(1))
    metrics = run.metrics()
    if args.compare:
        metrics.update({k: v for k, v in contraction_at_matched_error(run).items() if k.startswith("plain_")})
    if args.json:
        print(json.dumps(metrics))
    else:
        width = max(len(k) for k in metrics)
        for key, value in metrics.items():
            print(f"{key:<{width}}  {value:.4g}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    return 0
