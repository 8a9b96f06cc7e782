"""The one wrapper around a training run: drives the loop, keeps the history, and tells whoever watches through
callbacks, so the CLI's progress bar, the background job's live pictures and the lessons' measurements are
callbacks on the same run instead of three copies of it.

The surface is minGPT's (mingpt/trainer.py: add_callback / trigger_callbacks, a callback gets the trainer) with
Lightning's event names:

    on_train_start  before anything is trained (the model is still as created)
    on_step_end     after each optimiser step; trainer.progress is that step's Progress
    on_epoch_end    after each epoch (a closed-form fit is one epoch); trainer.history[-1] is its record
    on_train_end    after the run stops, finished or stopped (not when it fails: the TrainingError propagates)

A callback stops the run with trainer.stop() (it ends before the next step, leaving a consistent model); a
should_stop callable (a job's cancel flag) does the same from outside. The Trainer keeps the loop's state (the
optimiser's moments, the random streams, the counters), so run(n) then run(n + 1) trains the same weights as
run(n + 1) in one go: room for a "one more epoch" button.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from aelab.models.config import TrainConfig
from aelab.train.evaluation import evaluate
from aelab.train.history import epoch_record
from aelab.train.loop import LoopState, Progress, ResumeState, export_state, resume_state, start_state, train

EVENTS = ("on_train_start", "on_step_end", "on_epoch_end", "on_train_end")
Callback = Callable[["Trainer"], None]


class Trainer:
    """Trains model on x_train (N, 1, H, W) in [0, 1] with config (its seed included), reporting the loss terms on
    x_val after each epoch when given. Learned state: history, progress (the latest), cancelled, state."""

    def __init__(self, model: nn.Module, x_train: torch.Tensor, config: TrainConfig,
                 x_val: torch.Tensor | None = None, should_stop: Callable[[], bool] | None = None,
                 y_train: torch.Tensor | None = None, y_val: torch.Tensor | None = None):
        self.model, self.x_train, self.config, self.x_val = model, x_train, config, x_val
        self.y_train, self.y_val = y_train, y_val  # labels: read only by a conditional model
        self.should_stop = should_stop or (lambda: False)
        self.history: list[dict] = []  # one record per epoch (aelab.train.history)
        self.progress: Progress | None = None
        self.cancelled = False  # the last run stopped before its last epoch
        self.state: LoopState | None = None  # made on the first run, carried to the next
        self._callbacks: dict[str, list[Callback]] = {event: [] for event in EVENTS}
        self._stop_requested = False

    @property
    def is_baseline(self) -> bool:
        """A model fitted in closed form (PCA, k-means): one fit, no steps."""
        return self.model.config.is_baseline

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    def resumable(self) -> ResumeState | None:
        """Where this run stands, portable (aelab.train.loop.ResumeState), to go on later with restore(); None for
        a closed-form fit, a run not started, or one stopped inside an epoch (going on would not equal one run)."""
        if self.is_baseline or self.state is None or self.state.epoch != len(self.history) or not self.history:
            return None
        return export_state(self.model, self.state, self.history)

    def restore(self, resume: ResumeState) -> Trainer:
        """Go on from resume (a resumable() of a run of the same configs): weights, optimiser, random streams,
        counters and history; the next run() trains on from there."""
        self.state = resume_state(self.model, self.config, resume)
        self.history = [dict(record) for record in resume.history]
        return self

    def add_callback(self, event: str, callback: Callback) -> Trainer:
        if event not in self._callbacks:
            raise ValueError(f"Unknown training event {event!r}; valid: {', '.join(EVENTS)}.")
        self._callbacks[event].append(callback)
        return self

    def add_progress_callback(self, callback: Callable[[Progress], None]) -> Trainer:
        """callback(trainer.progress) after each step and each epoch: all a progress bar needs."""
        self.add_callback("on_step_end", lambda trainer: callback(trainer.progress))
        return self.add_callback("on_epoch_end", lambda trainer: callback(trainer.progress))

    def trigger_callbacks(self, event: str) -> None:
        for callback in self._callbacks[event]:
            callback(self)

    def stop(self) -> None:
        """Ask the run to stop before its next step (for a callback; the model stays as the last step left it)."""
        self._stop_requested = True

    def run(self, epochs: int | None = None) -> Trainer:
        """Train until `epochs` epochs are done in all (default config.epochs), going on from where an earlier run
        stopped. Leaves the model in eval mode; returns self."""
        target = self.config.epochs if epochs is None else epochs
        self._stop_requested = False
        self.trigger_callbacks("on_train_start")
        if self.is_baseline:
            if not self.history:  # fitted in closed form once; further runs have nothing to add
                self._fit_baseline()
        else:
            self._train(target)
        self.model.eval()
        self.trigger_callbacks("on_train_end")
        return self

    def _stopping(self) -> bool:
        return self._stop_requested or self.should_stop()

    def _train(self, target: int) -> None:
        if self.state is None:
            self.state = start_state(self.model, self.config)
        for progress in train(self.model, self.x_train, self.config, self.x_val, self._stopping, self.state,
                              target, self.y_train, self.y_val):
            self.progress = progress
            if progress.event == "step":
                self.trigger_callbacks("on_step_end")
            else:
                self._end_epoch()
        self.cancelled = self.state.epoch < target

    def _fit_baseline(self) -> None:
        started = time.perf_counter()
        self.model.fit(self.x_train, seed=self.config.seed)
        losses = {"mse": evaluate(self.model, self.x_train)["mse"]}
        val = {"mse": evaluate(self.model, self.x_val)["mse"]} if self.x_val is not None else None
        self.progress = Progress("epoch", 1, 1, 0, 0, losses, val, time.perf_counter() - started)
        self._end_epoch()

    def _end_epoch(self) -> None:
        p = self.progress
        self.history.append(epoch_record(p.epoch, p.step, p.losses, p.val_losses, p.elapsed_s))
        self.trigger_callbacks("on_epoch_end")


@dataclass
class TrainResult:
    history: list[dict] = field(default_factory=list)  # one entry per epoch (aelab.train.history's schema)
    cancelled: bool = False


def fit(model: nn.Module, x_train: torch.Tensor, config: TrainConfig, x_val: torch.Tensor | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[Progress], None] | None = None, y_train: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None) -> TrainResult:
    """Train (or, for a baseline, fit in closed form) in one call: a Trainer with on_progress called after each
    step and each epoch. Returns the per-epoch history and whether should_stop cut it short."""
    trainer = Trainer(model, x_train, config, x_val, should_stop=should_stop, y_train=y_train, y_val=y_val)
    if on_progress is not None:
        trainer.add_progress_callback(on_progress)
    trainer.run()
    return TrainResult(trainer.history, trainer.cancelled)
