"""Lessons, "What beta trades": every VAE as one point of rate against distortion.

For a VAE with encoder q(z|x), prior p(z) = N(0, I) and decoder p(x|z), on test images x (Alemi et al. 2018,
"Fixing a Broken ELBO", eqs. 3-6):
    rate        R = E_x KL(q(z|x) || p(z))         nats per image: what the code carries about the image
    distortion  D = E_x E_q(z|x) [-log p(x|z)]     nats per image: what the reconstruction gets wrong
    -ELBO = D + R, and a beta-VAE minimises D + beta R.
beta < 1 buys sharper reconstructions with a code that strays from the prior (worse samples); beta > 1 buys a code
closer to the prior, fewer units in use and blurrier reconstructions, until at some beta the rate is ~0 and the
decoder ignores the code (posterior collapse). Distortion is the Bernoulli negative log-likelihood (BCE) whatever
loss a model was trained with, so points of one dataset compare.

The shipped sweeps (pretrained/_lessons/rate-<dataset>.json, numbers only: no weights are needed to draw a point)
are rebuilt by `python -m aelab build-lessons --only rate`: on mnist-5k, SWEEP_BETAS trained with train_beta's recipe;
on shapes, the Factors page's shipped beta sweep (pretrained/shapes-vae, shapes-beta-vae-*), measured.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from aelab.lessons.paths import LESSONS_ROOT, ProgressCallback, safe_name
from aelab.train.losses import ACTIVE_KL, gaussian_kl, reconstruction_bce

SWEEP_BETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
SWEEP_VARIANT = "vae"  # the Train page's VAE: an MLP 256-128, a code of 16
SWEEP_EPOCHS = 30  # the variant's own default: about a minute per beta on a loaded 2-core machine
# The Factors page's beta sweep on shapes: its shipped VAEs are shapes' rate sweep (nothing is trained for it).
SHIPPED_MODELS = {"shapes": ("shapes-vae", "shapes-beta-vae-4", "shapes-beta-vae-16", "shapes-beta-vae-16-seed1")}


@dataclass
class RatePoint:
    """One VAE measured on test images: rate and distortion in nats per image, the KL of each latent unit, and how
    many units are active (KL > ACTIVE_KL)."""

    name: str
    beta: float
    rate: float
    distortion: float
    kl_per_dim: list[float]
    active_units: int
    n_images: int
    source: str = ""  # "shipped sweep", "library", "trained here"
    epochs: int | None = None

    @property
    def neg_elbo(self) -> float:
        return self.distortion + self.rate


@dataclass
class RateSweep:
    dataset: str
    points: list[RatePoint]
    recipe: dict = field(default_factory=dict)
    seconds: float = 0.0


@torch.no_grad()
def measure(model, x: torch.Tensor, name: str, beta: float, y: torch.Tensor | None = None, source: str = "",
            epochs: int | None = None, batch_size: int = 1000, seed: int = 0) -> RatePoint:
    """model's rate and distortion on x: (N, 1, H, W) in [0, 1] (y: (N,) labels, for a conditional VAE). The rate is
    the closed-form KL; the distortion decodes one z ~ q(z|x) per image (seeded), as the ELBO's expectation does."""
    from aelab.train.loop import labels_for

    model.eval()
    device = next(iter(model.parameters())).device
    generator = torch.Generator(device=device).manual_seed(seed)
    kl_sum, distortion = None, 0.0
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].to(device)
        labels = labels_for(model, None if y is None else y[start:start + batch_size].to(device))
        out = model(xb, sample=True, generator=generator, **labels)
        if out.logvar is None:
            raise ValueError(f"{name} is not a VAE: it has no KL term, so no rate.")
        part = gaussian_kl(out.mu, out.logvar, reduce=False).sum(0)
        kl_sum = part if kl_sum is None else kl_sum + part
        distortion += reconstruction_bce(out, xb).item() * xb.shape[0]
    kl = (kl_sum / x.shape[0]).cpu()
    return RatePoint(name, float(beta), float(kl.sum()), distortion / x.shape[0], [float(v) for v in kl],
                     int((kl > ACTIVE_KL).sum()), int(x.shape[0]), source, epochs)


def train_beta(x_train: torch.Tensor, beta: float, epochs: int = SWEEP_EPOCHS, seed: int = 0,
               on_progress: ProgressCallback | None = None, should_stop: Callable[[], bool] = lambda: False):
    """The sweep's recipe: the Train page's VAE with this beta, trained on x_train on the CPU; the model, or None if
    stopped. The shipped mnist-5k points, the lesson's "train one here" and the tests all train this way."""
    from aelab.models.autoencoder import create_model
    from aelab.models.variants import make_configs
    from aelab.train.trainer import fit

    report = on_progress or (lambda fraction, text: None)
    model_config, train_config = make_configs(SWEEP_VARIANT, tuple(x_train.shape[2:]), {},
                                              {"beta": float(beta), "epochs": epochs, "seed": seed, "device": "cpu"})
    model = create_model(model_config, seed)

    def on_epoch(progress) -> None:
        if progress.event == "epoch":
            report(progress.fraction, f"beta = {beta:g}: epoch {progress.epoch}/{progress.epochs}")

    result = fit(model, x_train, train_config, should_stop=should_stop, on_progress=on_epoch)
    return None if result.cancelled or should_stop() else model.eval()


def trained_point(dataset, beta: float, epochs: int = SWEEP_EPOCHS, on_progress: ProgressCallback | None = None,
                  should_stop: Callable[[], bool] = lambda: False) -> RatePoint | None:
    """One more point, trained here with the sweep's recipe on dataset's train split and measured on its test split;
    None if stopped."""
    model = train_beta(dataset.x_train, beta, epochs, on_progress=on_progress, should_stop=should_stop)
    if model is None:
        return None
    return measure(model, dataset.x_test, f"beta {beta:g} (trained here)", beta, source="trained here",
                   epochs=epochs)


def build_sweep(dataset, on_progress: ProgressCallback | None = None) -> RateSweep:
    """dataset's shipped sweep: its shipped VAEs measured (SHIPPED_MODELS), else SWEEP_BETAS trained and measured."""
    report = on_progress or (lambda fraction, text: None)
    started = time.perf_counter()
    if dataset.name in SHIPPED_MODELS:
        from aelab.library.store import PRETRAINED_ROOT, load_model

        points = []
        for i, name in enumerate(SHIPPED_MODELS[dataset.name]):
            report(i / len(SHIPPED_MODELS[dataset.name]), f"measuring {name}")
            record = load_model(PRETRAINED_ROOT / name)
            points.append(measure(record.model, dataset.x_test, name, record.train_config.beta,
                                  source="shipped sweep", epochs=record.train_config.epochs))
        return RateSweep(dataset.name, points, {"models": list(SHIPPED_MODELS[dataset.name])},
                         time.perf_counter() - started)
    points = []
    for i, beta in enumerate(SWEEP_BETAS):
        def report_one(fraction: float, text: str, i=i) -> None:
            report((i + fraction) / len(SWEEP_BETAS), text)

        model = train_beta(dataset.x_train, beta, on_progress=report_one)
        points.append(measure(model, dataset.x_test, f"beta {beta:g}", beta, source="shipped sweep",
                              epochs=SWEEP_EPOCHS))
    recipe = {"variant": SWEEP_VARIANT, "epochs": SWEEP_EPOCHS, "n_train": len(dataset.x_train), "seed": 0}
    return RateSweep(dataset.name, points, recipe, time.perf_counter() - started)


def sweep_path(dataset_name: str, root: str | Path = LESSONS_ROOT) -> Path:
    return Path(root) / f"rate-{safe_name(dataset_name)}.json"


def save_sweep(sweep: RateSweep, root: str | Path = LESSONS_ROOT) -> Path:
    """The sweep as JSON: numbers only (readable, diffable, nothing to unpickle)."""
    path = sweep_path(sweep.dataset, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    points = [{k: v for k, v in asdict(p).items() if k != "source"} for p in sweep.points]
    path.write_text(json.dumps({"dataset": sweep.dataset, "recipe": sweep.recipe, "seconds": sweep.seconds,
                                "points": points, "made_by": "python -m aelab build-lessons --only rate"}, indent=1))
    return path


def load_sweep(dataset_name: str, root: str | Path = LESSONS_ROOT) -> RateSweep | None:
    """The shipped sweep for dataset_name, or None when there is none (or it is unreadable)."""
    path = sweep_path(dataset_name, root)
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text())
        points = [RatePoint(p["name"], float(p["beta"]), float(p["rate"]), float(p["distortion"]),
                            [float(v) for v in p["kl_per_dim"]], int(p["active_units"]), int(p["n_images"]),
                            "shipped sweep", p.get("epochs")) for p in meta["points"]]
        return RateSweep(meta["dataset"], points, meta.get("recipe", {}), float(meta.get("seconds", 0.0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
