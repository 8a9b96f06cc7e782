"""A training run packaged as a background job: a TrainingRequest in, live pictures reported as it trains, a typed
TrainingOutcome back, saved to the library by save_outcome where the library is (aelab.train.remote runs the two).

What it reports (JobContext state) is what the Train page draws: progress, per-epoch history, reconstructions of a
fixed preview batch (the latest in "preview", one per epoch in "preview_frames" for the replay), and the 2-D latent
view of a fixed test sample per epoch ("latent_frames", epoch 0 = the untrained model), each frame aligned to the
previous one (Procrustes) so clusters can be watched forming without the axes flipping between epochs. Beside each
frame: its plane ("latent_planes": what a point of the frame decodes) and that epoch's decoder weights
("replay_decoders", float16), so the replay's map decodes under the cursor with the model as it was at that epoch.

The untrained model's reconstructions are reported first, before anything slow (the optimiser's first build imports
torch._dynamo, ~1-2 s once per process), so the page has something to show within a second of Start. A finished
run's portable state (TrainingOutcome.resume) can be handed back as TrainingRequest.resume: the job then trains on
from there ("one more epoch"), and the result equals one longer run with the same seed.

The job computes no latent map: "Finished" and the saved model never wait for one. Whoever shows the model maps it
afterwards (the app in the background: ui.common.cache), from the request's map_x.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aelab.analysis.latent import PROJECTION_AXES, encode_dataset, latent_name, procrustes
from aelab.library.store import save_model, validate_name
from aelab.models.autoencoder import create_model
from aelab.models.conditional import check_training_data
from aelab.models.config import ModelConfig, TrainConfig
from aelab.models.protocol import Model
from aelab.runtime.jobs import JobContext
from aelab.train.evaluation import evaluate
from aelab.train.loop import ResumeState, labels_for
from aelab.train.trainer import Trainer

PROGRESS_INTERVAL_S = 0.2  # a report per step would make the job lock hot for nothing: the page polls at 2 Hz
# What a job keeps of its epochs' decoders for the replay's hover (float16): a class server keeps up to 200 finished
# jobs (JobManager.keep_finished), so a very long training keeps every k-th epoch's instead (replay_stride)
REPLAY_DECODER_BYTES = 24 * 2**20


@dataclass(frozen=True)
class TrainingRequest:
    """Everything a training job needs; tensors are (N, 1, H, W) in [0, 1] and treated as read-only."""

    variant: str
    model_config: ModelConfig
    train_config: TrainConfig
    dataset: str
    x_train: torch.Tensor
    x_val: torch.Tensor
    preview_x: torch.Tensor  # a few test images whose reconstructions are shown getting sharper
    latent_x: torch.Tensor  # a fixed test sample whose codes are drawn each epoch
    latent_y: torch.Tensor
    class_names: tuple[str, ...] = ()  # class_names[k] names label k, for the latent view's legend
    y_train: torch.Tensor | None = None  # labels of x_train and x_val: read by a conditional model only
    y_val: torch.Tensor | None = None
    preview_y: torch.Tensor | None = None
    save_name: str | None = None  # validated at construction: a bad name fails before any training
    library_root: str | Path | None = None
    overwrite: bool = False
    # Go on from a finished run of the same configs (train_config.epochs is then the total to reach); resume_frame:
    # that run's last latent frame, so the new frames keep its orientation.
    resume: ResumeState | None = None
    resume_frame: np.ndarray | None = None
    # The test split the Latent Space page maps, and its data identity: read after the job by whoever maps the new
    # model (the app computes its default UMAP in the background), never by the training, nor sent to a worker.
    map_x: torch.Tensor | None = None
    data_identity: str = ""

    def __post_init__(self) -> None:
        if self.save_name is not None:
            validate_name(self.save_name)
        check_training_data(self.model_config, len(self.x_train), self.y_train)


@dataclass(frozen=True)
class _PortableModel:
    """A model's weights on the CPU and whether it was in training mode: how a model crosses a process boundary."""

    state: dict[str, torch.Tensor]
    training: bool


@dataclass
class TrainingOutcome:
    """What a training gives back. It crosses a process boundary whole (pickled by the executor), its model as CPU
    weights rebuilt from model_config on the other side (__getstate__ / __setstate__): a live module never travels,
    and every other field, added later or not, travels without the executor knowing it. saved_path and save_error
    are filled where the library is (save_outcome)."""

    model: Model
    history: list[dict]
    metrics: dict[str, float]
    cancelled: bool
    variant: str
    model_config: ModelConfig
    train_config: TrainConfig
    dataset: str
    name: str = ""  # the name asked for (save_name): the session keeps the model under it if saving failed
    resume: ResumeState | None = None  # where the run stands, to train on later; None if it cannot (see Trainer)
    saved_path: Path | None = None
    save_error: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        model = state["model"]
        state["model"] = _PortableModel({k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                                        model.training)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        portable: _PortableModel = state["model"]
        model = create_model(state["model_config"], state["train_config"].seed)
        model.load_state_dict(portable.state, strict=True)
        self.__dict__.update(state, model=model.train(portable.training))


def latent_axes(latent_dim: int, n_points: int) -> tuple[str, str]:
    """The names of the latent view's axes, as _latent_frame draws them."""
    if latent_dim <= 2 or n_points < 2:
        return latent_name(0), latent_name(1) if latent_dim >= 2 else ""
    return PROJECTION_AXES["pca"]


def _latent_frame(model, request: TrainingRequest, previous: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(coords (N, 2), plane (3, d)): the codes themselves for a latent space of 1 or 2 dimensions (a 1-D code along
    x), else their PCA plane, turned to match previous so clusters do not flip between epochs; and what a point
    (u, v) of that frame decodes: plane[0] + u plane[1] + v plane[2] (the code itself on raw axes; the codes' mean
    plus the turned PCA inverse), which the replay's map feeds the epoch's decoder under the cursor. Codes are never
    turned: their axes are z1 and z2, and they do not jump from epoch to epoch the way a recomputed projection can."""
    z = encode_dataset(model, _on_device_of(model, request.latent_x), y=request.latent_y)
    z = z.cpu().numpy().astype(np.float32)
    dim = z.shape[1]
    if latent_axes(dim, z.shape[0])[0] == latent_name(0):
        # PCA needs two points: a one-image test split (a tiny upload) shows the first two code units too
        plane = np.zeros((3, dim), np.float32)
        plane[1, 0] = 1.0
        if dim >= 2:
            plane[2, 1] = 1.0
        if dim > 2:  # (the units beyond the first two at their mean)
            plane[0, 2:] = z[:, 2:].mean(0)
        return np.pad(z[:, :2], ((0, 0), (0, max(0, 2 - dim)))), plane
    mean = z.mean(0)
    # (an SVD here: scikit-learn's PCA costs a 1-2 s import in a fresh process, before the first picture)
    components = np.linalg.svd(z - mean, full_matrices=False)[2][:2]
    coords = ((z - mean) @ components.T).astype(np.float32)
    rotation, shift = (np.eye(2), np.zeros(2)) if previous is None else procrustes(previous, coords)
    # p = c @ R + s  =>  c = (p - s) @ R.T  =>  z = mean + c @ V = (mean - s @ R.T @ V) + p @ (R.T @ V)
    axes = rotation.T @ components
    plane = np.vstack([mean - shift @ axes, axes]).astype(np.float32)
    return (coords @ rotation + shift).astype(np.float32), plane


def decoder_weights(model) -> dict[str, np.ndarray]:
    """The decoder's weights and buffers (what model.decode reads: the state entries under "decoder."), as float16
    arrays: an epoch's snapshot for the replay's hover. Half precision halves what a finished job keeps in memory
    (an MLP decoder: ~0.23 MB an epoch) and moves a decoded pixel by well under one grey level of 255."""
    return {name: value.detach().cpu().numpy().astype(np.float16) for name, value in model.state_dict().items()
            if name.startswith("decoder.") and value.is_floating_point()}


def replay_stride(epochs: int, snapshot_bytes: int) -> int:
    """Keep every stride-th epoch's decoder (and the last: the saved model's), so a job's snapshots stay within
    REPLAY_DECODER_BYTES however long it trains; 1 for any training a class runs (a few dozen epochs)."""
    if snapshot_bytes <= 0:
        return 1
    kept = max(2, REPLAY_DECODER_BYTES // snapshot_bytes)
    return max(1, -(-(epochs + 1) // kept))


def _on_device_of(model, x: torch.Tensor) -> torch.Tensor:
    """x on the model's device (a training on a GPU worker: the request's tensors stay on the CPU)."""
    tensor = next(iter(model.parameters()), next(iter(model.buffers()), None))
    return x if tensor is None else x.to(tensor.device)


def _preview(model, request: TrainingRequest) -> np.ndarray:
    with torch.no_grad():
        x_hat = model(_on_device_of(model, request.preview_x), **labels_for(model, request.preview_y)).x_hat
        return x_hat.clamp(0, 1)[:, 0].cpu().numpy().astype(np.float16)


def _latent_images(request: TrainingRequest) -> np.ndarray:
    """(N, H, W) uint8: the latent view's test images, the replay map's "nearest real image" beside a decoded point."""
    return (request.latent_x[:, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def _progress_fields(progress) -> dict[str, Any]:
    return {"epoch": progress.epoch, "epochs": progress.epochs, "step": progress.step,
            "total_steps": progress.total_steps, "fraction": progress.fraction, "eta_s": progress.eta_s,
            "elapsed_s": progress.elapsed_s, "losses": dict(progress.losses)}


class _LiveReport:
    """The job's callbacks: the untrained model's pictures at the start, throttled progress after steps, and the
    history with a new latent frame and reconstructions after each epoch (a closed-form fit's one epoch included)."""

    def __init__(self, request: TrainingRequest, ctx: JobContext):
        self.request, self.ctx = request, ctx
        self.frame: np.ndarray | None = request.resume_frame
        self.last_report = 0.0

    def attach(self, trainer: Trainer) -> Trainer:
        for event in ("on_train_start", "on_step_end", "on_epoch_end"):
            trainer.add_callback(event, getattr(self, event))
        return trainer

    def on_train_start(self, trainer: Trainer) -> None:
        # nothing to watch forming in a closed-form fit (its one frame comes when the fit is done); a resumed run's
        # first frame is the one its earlier run ended with, already on the page
        if trainer.is_baseline or self.request.resume is not None:
            return
        trainer.model.eval()
        self._frame(trainer.model, 0, None)  # epoch 0: the untrained model's codes (its reconstructions
        self.ctx.report(phase="preparing the first epoch")  # were reported before the trainer was built)

    def _frame(self, model, epoch: int, previous: np.ndarray | None) -> None:
        """Epoch `epoch`'s latent frame, its plane and (every stride-th epoch, and the last) its decoder: the
        three lists stay aligned, one entry per frame (None: that epoch's decoder was not kept)."""
        self.frame, plane = _latent_frame(model, self.request, previous)
        weights = None
        if not self.request.model_config.is_baseline:
            weights = decoder_weights(model)
            stride = replay_stride(self.request.train_config.epochs, sum(w.nbytes for w in weights.values()))
            if epoch % stride and epoch != self.request.train_config.epochs:
                weights = None
        self.ctx.append("latent_frames", self.frame)
        self.ctx.append("latent_planes", plane)
        self.ctx.append("replay_decoders", weights)

    def on_step_end(self, trainer: Trainer) -> None:
        now = time.perf_counter()
        if now - self.last_report > PROGRESS_INTERVAL_S:
            fields = _progress_fields(trainer.progress)
            self.ctx.report(progress=fields, eta_s=fields["eta_s"])  # eta_s: the job manager's start estimates
            self.last_report = now

    def on_epoch_end(self, trainer: Trainer) -> None:
        self._frame(trainer.model, trainer.progress.epoch, self.frame)
        preview = _preview(trainer.model, self.request)
        self.ctx.append("preview_frames", preview)
        fields = {} if trainer.is_baseline else {"progress": _progress_fields(trainer.progress)}
        self.ctx.report(history=list(trainer.history), preview=preview, **fields)


def _first_pictures(model, request: TrainingRequest, ctx: JobContext) -> None:
    """What the page can show at once: the inputs, the untrained (or resumed) model's reconstructions, and the phase.
    A resumed run keeps the history and frames its earlier run reported (the page hands them to the new job)."""
    preview = _preview(model, request)
    fields: dict[str, Any] = {"labels": request.latent_y.numpy().copy(), "class_names": tuple(request.class_names),
                              "latent_axes": latent_axes(request.model_config.latent_dim, len(request.latent_x)),
                              "preview_input": request.preview_x[:, 0].numpy().copy(), "progress": None,
                              "preview": preview}
    baseline = request.model_config.is_baseline
    if request.resume is None:  # epoch 0's reconstructions (a closed-form fit has no epoch 0: it shows its one fit)
        fields.update(history=[], latent_frames=[], latent_planes=[], replay_decoders=[],
                      preview_frames=[] if baseline else [preview], latent_images=_latent_images(request))
        phase = "fitting in closed form" if baseline else "building the optimiser"
    else:
        fields["history"] = [dict(r) for r in request.resume.history]
        phase = f"going on from epoch {request.resume.epoch}"
    ctx.report(phase=phase, **fields)


def run_training(request: TrainingRequest, ctx: JobContext) -> TrainingOutcome:
    """The training itself, wherever an executor runs it: the model, trained, and what the page needs to show it.
    Saves nothing (see save_outcome)."""
    model = create_model(request.model_config, request.train_config.seed)
    trainer = Trainer(model, request.x_train, request.train_config, request.x_val, should_stop=ctx.should_stop,
                      y_train=request.y_train, y_val=request.y_val)
    if request.resume is not None:
        trainer.restore(request.resume)
    model.eval()
    _first_pictures(model, request, ctx)
    _LiveReport(request, ctx).attach(trainer).run()
    history = trainer.history
    cancelled = trainer.cancelled or ctx.should_stop()  # as the job's status says, even if the stop came late
    metrics = evaluate(model, request.x_val, y=request.y_val)
    ctx.report(preview=_preview(model, request), history=list(history), metrics=metrics)
    return TrainingOutcome(model, history, metrics, cancelled, request.variant, request.model_config,
                           request.train_config, request.dataset, name=request.save_name or "",
                           resume=None if cancelled else trainer.resumable())


def save_outcome(outcome: TrainingOutcome, request: TrainingRequest) -> TrainingOutcome:
    """Save the trained model under request.save_name (if any) in the server's library; a failure is kept in
    save_error, not raised. The one place a training is saved: run where the library is, after run_training came
    back from wherever it ran (aelab.train.remote)."""
    if request.save_name:
        try:
            outcome.saved_path = save_model(outcome.model, request.save_name, variant=request.variant,
                                            train_config=request.train_config, dataset=request.dataset,
                                            metrics=outcome.metrics, history=outcome.history,
                                            root=request.library_root, overwrite=request.overwrite)
        except Exception as err:  # keep the trained model: the page offers to save it under another name
            outcome.save_error = str(err)
    return outcome
