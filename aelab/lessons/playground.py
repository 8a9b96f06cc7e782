"""The Playground's model: a toy variant on a toy set, trained epoch by epoch through aelab.train.loop, and scored.

A ToyRun keeps the loop's generator (aelab.train.loop.train) between calls, so training can stop after any epoch and
go on later with the same optimizer state: "step one epoch" and play/pause are the same loop, consumed a little at a
time. The run's lock is held while it trains or while anyone reads its model, so a background job and a page never
touch the weights at once. A contractive AE trains a plain AE of the same shape beside it, in step, so the page can
show what the penalty changed.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch

from aelab.analysis import toy as views
from aelab.data.point_noise import corrupt_points
from aelab.data.toy import ToyData
from aelab.errors import ConfigError, TrainingError
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_toy_configs
from aelab.train.loop import LoopState, start_state, train

ITERATIONS = 5  # applications of r = g o f in "iterated_distance"
DEFAULT_CORRUPTION = 0.3  # standardised units: the test corruption for variants that train without one
PENALTIES = ("contractive_weight",)  # a variant with one of these trains its plain twin beside it, for comparison


STOPPED = object()  # a run whose loop raised: stepping on would fail the same way


class ToyRun:
    """model: the variant's Autoencoder (or PCA) on data.points; epoch: epochs trained; history: per-epoch losses."""

    def __init__(self, data: ToyData, variant: str, model: dict | None = None, train: dict | None = None,
                 reference: bool = True):
        self.data, self.variant = data, variant
        self.changes = ({**(model or {})}, {**(train or {})})  # what differs from the variant, for its twins
        self.model_config, self.train_config = make_toy_configs(variant, data.dim, model, train)
        if self.model_config.is_baseline and self.model_config.latent_dim >= data.dim:
            raise ConfigError(f"PCA with {self.model_config.latent_dim} components of {data.dim}-D points keeps "
                              "everything; use a smaller code.")
        self.model = create_model(self.model_config, self.train_config.seed)
        self.x = torch.from_numpy(data.points)
        self.lock = threading.Lock()  # held while the model changes (an epoch) or is read (a picture)
        self._turnstile = threading.Lock()  # see holding()
        self.epoch, self.elapsed_s = 0, 0.0
        self.history: list[dict] = []
        # The loop's optimizer and data order, kept between epochs; STOPPED once the loop raised.
        self._state: LoopState | object | None = None
        self.reference: ToyRun | None = None
        if reference and any(getattr(self.train_config, name) > 0 for name in PENALTIES):
            plain = {**(train or {}), **{name: 0.0 for name in PENALTIES}}
            self.reference = ToyRun(data, variant, model, plain, reference=False)

    @property
    def total_epochs(self) -> int:
        return self.train_config.epochs

    @property
    def finished(self) -> bool:
        return self.epoch >= self.total_epochs

    @property
    def corruption(self) -> float:
        """The Gaussian noise sigma of the test points: the variant's own if it trains with one."""
        return self.train_config.noise_level if self.train_config.noise == "gaussian" else DEFAULT_CORRUPTION

    def step_epochs(self, n: int = 1, should_pause: Callable[[], bool] = lambda: False,
                    on_epoch: Callable[[ToyRun], None] | None = None, beyond_target: bool = False) -> int:
        """Train up to n more epochs (fewer if training ends, or should_pause() between epochs); on_epoch(self) runs
        after each, with the lock held. beyond_target: go on past the configured epochs (the page's Step after a
        finished training: one more epoch of the same run). Returns the epochs done."""
        done = 0
        while done < n and (beyond_target or not self.finished) and not should_pause():
            if self.model_config.is_baseline and self.epoch:  # a closed-form fit has nothing more to do
                break
            started = time.perf_counter()
            with self._turnstile:  # a reader waiting for the model goes first (see holding)
                pass
            with self.lock:
                self._one_epoch()
                if self.reference is not None:
                    self.reference.step_epochs(1, beyond_target=beyond_target)
                self.elapsed_s += time.perf_counter() - started
                done += 1
                if on_epoch is not None:
                    on_epoch(self)
        return done

    @contextlib.contextmanager
    def holding(self) -> Iterator[ToyRun]:
        """The run with its model held still, for a reader (a page drawing it): from the end of the epoch in
        progress until the block ends. threading.Lock is not fair: a training that takes the lock again as soon as
        it lets it go starved the reader for the whole training (the Playground's picture stayed blank, the page
        stuck at "epoch 0/120", measured in Chromium on a loaded machine); the reader holds the turnstile while it
        waits, so the training's next epoch waits for it."""
        with self._turnstile:
            self.lock.acquire()
        try:
            yield self
        finally:
            self.lock.release()

    def _one_epoch(self) -> None:
        if self.model_config.is_baseline:  # closed form: one "epoch" is the whole fit (trainer.fit would score it as
            self.model.fit(self.x, seed=self.train_config.seed)  # images, in [0, 1])
            self.history, self.epoch = [{"epoch": 1, "train": {"recon": self.recon_error()}}], self.total_epochs
            return
        if self._state is None:
            self._state = start_state(self.model, self.train_config)
        elif self._state is STOPPED:  # the loop raised (e.g. on a NaN loss): going on would fail the same way
            raise TrainingError(f"This model's training stopped at epoch {self.epoch}; train a new one.")
        # One epoch from where the last one stopped (same optimizer state and data order): n epochs stepped one at a
        # time are the same training as n in one go, and stepping may go on past the configured count.
        try:
            epochs = train(self.model, self.x, self.train_config, state=self._state, epochs=self.epoch + 1)
            progress = next(p for p in epochs if p.event == "epoch")
        except TrainingError:
            self._state = STOPPED
            raise
        self.epoch = progress.epoch
        self.history.append({"epoch": progress.epoch, "train": dict(progress.losses)})
        self.model.eval()

    def recon_error(self, x: np.ndarray | None = None) -> float:
        """Mean over points of ||g(f(x)) - x||^2 (the squared error the model trains on), on the data by default."""
        x = self.data.points if x is None else x
        return float(((views.reconstruct(self.model, x) - x) ** 2).sum(1).mean())

    def corrupted(self, seed: int | None = None) -> np.ndarray:
        """The data's points moved by N(0, corruption^2 I), fixed by seed (default: the training seed + 1)."""
        generator = torch.Generator().manual_seed(self.train_config.seed + 1 if seed is None else seed)
        return corrupt_points(self.x, "gaussian", self.corruption, generator).numpy()

    def metrics(self) -> dict[str, float | int | str | None]:
        """recon_error on the data; noisy_distance: mean distance to the clean manifold of the corrupted points,
        denoised_distance: of their reconstructions, iterated_distance: after ITERATIONS applications of g o f;
        the distances are None for a set with no manifold (the blob)."""
        with self.holding():
            out: dict[str, float | int | str | None] = {
                "data": self.data.name, "variant": self.variant, "n": int(self.data.points.shape[0]),
                "epochs": self.epoch, "train_seconds": round(self.elapsed_s, 3), "recon_error": self.recon_error(),
                "data_noise": self.data.noise, "corruption": self.corruption,
                "noisy_distance": None, "denoised_distance": None, "iterated_distance": None}
            if self.data.has_manifold:
                noisy = self.corrupted()
                path = views.iterate(self.model, noisy, ITERATIONS)
                out["noisy_distance"] = float(self.data.distance_to_clean(noisy).mean())
                out["denoised_distance"] = float(self.data.distance_to_clean(path[1]).mean())
                out["iterated_distance"] = float(self.data.distance_to_clean(path[-1]).mean())
            if self.model_config.latent_dim == 1 and self.data.dim == 2 and self.model_config.arch in ("linear", "pca"):
                out["angle_to_pca_deg"] = views.line_angle_degrees(views.linear_direction(self.model),
                                                                   views.pca_line(self.data.points)[1])
            if self.data.has_manifold and self.data.tangents.shape[2] < self.data.dim:
                out["contraction_ratio"] = views.jacobian_gains(self.model, self.data.clean,
                                                                self.data.tangents).median_ratio
            return out


def contraction_at_matched_error(run: ToyRun, tolerance: float = 0.1) -> dict[str, float | int | None]:
    """The contraction ratio (median over the clean manifold of the encoder's gain off it over its gain along it)
    of run's model, and of its plain twin (the same net and settings without the penalty) stopped at the first step
    where its reconstruction error is within tolerance of run's: at equal reconstruction, which one ignores moves off
    the manifold more? The plain twin's ratio is None if it never gets that close."""
    data = run.data
    with run.holding():
        target = run.recon_error()
        ratio = views.jacobian_gains(run.model, data.clean, data.tangents).median_ratio
    twin = ToyRun(data, run.variant, run.changes[0], {**run.changes[1], **{name: 0.0 for name in PENALTIES}},
                  reference=False)
    out = {"recon_error": target, "contraction_ratio": ratio, "plain_recon_error": None,
           "plain_contraction_ratio": None, "plain_steps": None}
    for progress in train(twin.model, twin.x, twin.train_config):
        twin.model.eval()
        error = twin.recon_error()
        twin.model.train()
        if abs(error - target) <= tolerance * target:
            twin.model.eval()
            out.update(plain_recon_error=error, plain_steps=progress.step,
                       plain_contraction_ratio=views.jacobian_gains(twin.model, data.clean, data.tangents).median_ratio)
            break
    return out


def train_toy(data: ToyData, variant: str, model: dict | None = None, train: dict | None = None,
              on_epoch: Callable[[ToyRun], None] | None = None) -> ToyRun:
    """A ToyRun trained to the end of its epochs (the CLI and the tests; the page steps it in a background job)."""
    run = ToyRun(data, variant, model, train)
    run.step_epochs(run.total_epochs, on_epoch=on_epoch)
    return run


def play(run: ToyRun, ctx) -> ToyRun:
    """A background job's work (aelab.runtime.jobs): train run to its last epoch, reporting each epoch, until the job
    is cancelled, which pauses it after the current epoch (the run keeps its optimizer and can go on later)."""
    def report(r: ToyRun) -> None:
        ctx.report(epoch=r.epoch, epochs=r.total_epochs, losses=dict(r.history[-1]["train"]) if r.history else {},
                   elapsed_s=r.elapsed_s)

    run.step_epochs(run.total_epochs - run.epoch, should_pause=ctx.should_stop, on_epoch=report)
    return run
