"""The Train page's live view of a training job: status and progress, loss curves, reconstructions, the latent view,
and after training a slider that replays the latent view and the reconstructions epoch by epoch (the latent view
then a map that decodes under the cursor with the model as it was at that epoch: ui/train/replay.py).

Everything is drawn from a JobSnapshot (a copy taken under the job's lock), never from the training thread's objects.
A job is submitted with its test images in its state, so the reconstructions panel shows them from the first run
after Start (and while it waits in the queue); the untrained model's reconstructions follow as soon as it starts.
After a training, "One more epoch" submits a job that goes on from where it stopped (the same weights, optimiser and
random streams: the same as one run with one more epoch), showing the earlier epochs' pictures meanwhile.
While the job is queued or running, the view is a fragment that reruns itself every REFRESH_S seconds; when the job
ends it triggers one full rerun, so the polling stops and the sidebar picks up the new model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aelab.analysis.images import grid
from aelab.runtime.jobs import CANCELLED, ERROR, QUEUED, JobSnapshot
from aelab.train.collapse import collapse_warning
from ui.common.selection import session_id
from ui.common.session import session
from ui.common.view_store import fragment
from ui.common.widgets import PALETTE, UNLABELLED_COLOUR, class_name, loss_figure
from ui.train.lifecycle import job_manager, set_current_job, training_collected
from ui.train.replay import replay_map
from ui.train.stepping import draw_step_control

REFRESH_S = 0.5  # the progress bar
# A queued job only moves up the queue: polled four times slower, pictures not at all. Twenty students waiting
# behind one training each made two fragments rerun on the server and redraw in the browser every second or two
# (bench/classroom.py at N = 20: Home's p50 65 s for the students arriving while the others waited).
QUEUED_REFRESH_S = 2.0
PICTURES_REFRESH_S = 1.0  # the pictures: an epoch of a small model takes about a second
LIVE_KEYS = ("latent_frames", "preview_frames", "preview", "preview_input", "labels", "class_names", "history",
             "latent_axes")
REPLAY_KEYS = ("latent_planes", "replay_decoders", "latent_images")  # the replay map's, copied by "One more epoch"
MAIN_TERMS = ("recon", "total", "mse")  # in nats (or squared error) per image; the penalties get their own chart
COUNTS = ("active_units",)  # a VAE's count of units in use: no loss, said by the collapse alarm instead


def latent_figure(coords: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], title: str,
                  ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
                  height: int = 380, axes: tuple[str, str] = ("z1", "z2")) -> go.Figure:
    """coords: (N, 2) codes (or their 2-D projection, axes then PC1, PC2); labels: (N,) ints, -1 = unlabelled. One
    trace per class, so the legend can hide a class; ranges fixes the axes (the replay keeps them still while the
    clusters move)."""
    fig = go.Figure()
    for label in np.unique(labels):
        mask = labels == label
        colour = PALETTE[int(label) % len(PALETTE)] if label >= 0 else UNLABELLED_COLOUR
        fig.add_scatter(x=coords[mask, 0], y=coords[mask, 1], mode="markers", name=class_name(class_names, int(label)),
                        marker={"color": colour, "size": 6, "opacity": 0.85})
    fig.update_layout(title=title, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant"}, xaxis_title=axes[0], yaxis_title=axes[1])
    if ranges is not None:
        fig.update_xaxes(range=ranges[0])
        fig.update_yaxes(range=ranges[1])
    return fig


def frame_ranges(frames: list[np.ndarray], margin: float = 0.05) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis ranges holding every frame, so a replay does not rescale from epoch to epoch."""
    points = np.concatenate(frames)
    low, high = points.min(0), points.max(0)
    pad = (high - low) * margin + 1e-6
    return (float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "estimating"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _queue_text(snap: JobSnapshot) -> str:
    manager = job_manager()
    when = (f", starting in about {_duration(snap.start_estimate_s)}" if snap.start_estimate_s is not None
            else "")
    return (f"**{snap.title}** is waiting in the queue, position **{snap.queue_position}**{when}: this server runs "
            f"{manager.max_running} training{'s' * (manager.max_running != 1)} at once, each session one at a time, "
            "in turn.")


def _draw_status(snap: JobSnapshot) -> None:
    """The one-line state of the job, a progress bar while it runs, and Cancel while it can be cancelled."""
    outcome, progress = snap.result, snap.state.get("progress")
    if snap.status == QUEUED:
        st.info(_queue_text(snap), icon=":material/hourglass_top:")
    elif snap.active and progress:
        st.progress(progress["fraction"], text=(
            f"**{snap.title}**: epoch {progress['epoch']}/{progress['epochs']}, step {progress['step']}/"
            f"{progress['total_steps']}, {_duration(progress['elapsed_s'])} elapsed, about "
            f"{_duration(progress['eta_s'])} left"))
    elif snap.active:
        st.progress(0.0, text=f"**{snap.title}**: {snap.state.get('phase', 'starting')}...")
    elif snap.status == ERROR:
        st.error(f"Training {snap.title} stopped: {snap.error}", icon=":material/error:")
    elif snap.status == CANCELLED and outcome is None:
        st.warning(f"Training {snap.title} was cancelled before it started.")
    else:
        _draw_outcome(snap)
    if snap.active and st.button("Cancel training", key="cancel_training", icon=":material/stop_circle:",
                                 help="Stops after the current step; the model trained so far is kept and saved."):
        job_manager().cancel(snap.id, session_id())
        st.toast("Cancelling: the training stops after its current step.")


def _draw_outcome(snap: JobSnapshot) -> None:
    outcome = snap.result
    epochs = len(outcome.history)
    took = _duration((snap.finished or time.time()) - (snap.started or snap.created))
    how = (f"Cancelled after {epochs} of {outcome.train_config.epochs} epochs" if snap.status == CANCELLED
           else f"Finished: {epochs} epoch{'s' * (epochs != 1)} in all, this job took {took}")
    quality = (f"test MSE per pixel {outcome.metrics['mse']:.4f}, PSNR {outcome.metrics['psnr']:.1f} dB, the mean "
               "of each test image's PSNR")
    if outcome.saved_path is not None:
        (st.warning if snap.status == CANCELLED else st.success)(
            f"{how} ({quality}). The model{' trained so far' if snap.status == CANCELLED else ''} is saved in your "
            f"library as **{outcome.saved_path.name}** and selected on every page.")
    else:
        st.warning(f"{how} ({quality}), but it could not be saved: {outcome.save_error} It is kept in this "
                   f"session as **{outcome.name or 'an unnamed model'}** (in the Model list) until you close the tab.")


def _loss_figures(history: list[dict]) -> list[tuple[str | None, go.Figure]]:
    """Loss per named term, train solid and test dashed; penalties (KL, L1, contractive) on their own scale, since
    their size differs from the reconstruction's by orders of magnitude. [(caption or None, figure)]"""
    if not history:
        return []
    names = list(history[0]["train"])
    main = [n for n in names if n in MAIN_TERMS]
    penalties = [n for n in names if n not in MAIN_TERMS and n not in COUNTS]
    figures: list[tuple[str | None, go.Figure]] = [(None, _tidy(loss_figure(history, main, height=260)))]
    if penalties:
        what = "the KL term pulls codes to the prior" if "kl" in penalties else "the penalty"
        figures.append((f"{' and '.join(penalties)}, per image ({what}; shown apart because its scale differs)",
                        _tidy(loss_figure(history, penalties, height=220))))
    return figures


def _tidy(fig: go.Figure) -> go.Figure:
    """The legend above the plot (below it, in a narrow column, it runs into the axis title); ticks on whole epochs
    (with two epochs plotly would mark 1.2, 1.4...)."""
    epochs = max((len(trace.x) for trace in fig.data), default=1)
    fig.update_xaxes(tick0=1, dtick=max(1, round(epochs / 8)))
    return fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}, margin={"t": 50})


@dataclass
class EpochView:
    """What the view shows after one epoch, built once (plotly figures take ~10-30 ms each to build; a page polled
    twice a second must not rebuild them when nothing changed)."""

    latent: go.Figure | None
    recon: np.ndarray | None  # uint8 grid: preview images over their reconstructions
    caption: str
    losses: list[tuple[str | None, go.Figure]]


def _epoch_view(state: dict, frame: int | None = None, with_losses: bool = True,
                with_latent: bool = True) -> EpochView:
    """The view after epoch `frame` (None: the latest, with axes free; a replayed frame keeps every frame's axes).
    with_latent=False: no latent figure (the replay's map shows that frame)."""
    frames, previews = state.get("latent_frames") or [], state.get("preview_frames") or []
    losses = _loss_figures(state.get("history") or []) if with_losses else []
    if not frames:
        return EpochView(None, *_first_pictures(state), losses)
    index = len(frames) - 1 if frame is None else frame
    title = frame_title(index, len(frames))
    latent = None
    if with_latent:
        ranges = frame_ranges(frames) if frame is not None else None
        latent = latent_figure(frames[index], state["labels"], state.get("class_names", ()),
                               f"Codes of {len(state['labels'])} test images, {title}", ranges,
                               axes=state.get("latent_axes", ("", "")))
    preview = previews[min(index, len(previews) - 1)] if previews else state.get("preview")
    recon = None
    if preview is not None:
        recon = grid(np.concatenate([state["preview_input"], preview.astype(np.float32)]), ncol=len(preview), scale=3)
    return EpochView(latent, recon, f"Test images (top) and their reconstructions ({title})", losses)


def frame_title(index: int, n_frames: int) -> str:
    """What latent frame `index` of n_frames shows: the untrained model (frame 0 of a run with epochs), or an epoch."""
    return "untrained model" if index == 0 and n_frames > 1 else f"after epoch {index}"


def _first_pictures(state: dict) -> tuple[np.ndarray | None, str]:
    """Before the first latent frame: the test images over the untrained model's reconstructions, or the test images
    alone while the job waits to start, so the panel is never blank."""
    inputs, preview = state.get("preview_input"), state.get("preview")
    if inputs is None:
        return None, ""
    if preview is None:
        return grid(inputs, ncol=len(inputs), scale=3), "Test images: their reconstructions appear when training starts"
    return (grid(np.concatenate([inputs, preview.astype(np.float32)]), ncol=len(inputs), scale=3),
            "Test images (top) and their reconstructions by the untrained model")


def _draw_pictures(view: EpochView) -> None:
    if view.latent is not None:
        st.plotly_chart(view.latent, key="train_latent")
    if view.recon is not None:
        st.image(view.recon, caption=view.caption, width="content")


def _draw_losses(view: EpochView) -> None:
    for i, (caption, figure) in enumerate(view.losses):
        if caption:
            st.caption(caption)
        st.plotly_chart(figure, key=f"train_loss_{i}")


def _replay(snap: JobSnapshot) -> None:
    frames = snap.state.get("latent_frames") or []
    if len(frames) < 2:
        _draw_pictures(_epoch_view(snap.state, with_losses=False))
        return
    last = len(frames) - 1
    if st.session_state.get("_replay_for") != snap.id:  # a new job: start the replay at its end
        st.session_state["_replay_for"] = snap.id
        st.session_state["replay_epoch"] = last
    st.session_state["replay_epoch"] = min(st.session_state.get("replay_epoch", last), last)
    epoch = st.slider("Replay: epoch", 0, last, key="replay_epoch",
                      help="Watch the classes separate in the latent space as training went on (0 = untrained); "
                           "hover the map to decode any point with the model as it was then.")
    mapped = replay_map(snap, epoch, frame_title(epoch, len(frames)))  # the map, decoding under the cursor
    _draw_pictures(_epoch_view(snap.state, epoch, with_losses=False, with_latent=not mapped))


def _live_status(job_id: str) -> None:
    """Queue position or progress bar, and Cancel; polled every REFRESH_S seconds, so it copies only the progress."""
    snap = job_manager().snapshot(job_id, session_id(), keys=("progress", "history", "phase"))
    if snap is None:
        return
    if not snap.active:
        st.rerun()  # once: the full rerun stops the polling and lets the sidebar select the new model
    _draw_status(snap)
    history = snap.state.get("history")
    _collapse_alarm(history)
    progress = snap.state.get("progress")
    if progress and not history:
        terms = ", ".join(f"{k} {v:.3g}" for k, v in progress["losses"].items())
        st.caption(f"First epoch in progress; this step's losses: {terms}. Curves appear after each epoch.")


def _collapse_alarm(history: list[dict] | None) -> None:
    """A VAE whose code went unused (aelab.train.collapse), said from the end of its first epoch on."""
    alarm = collapse_warning(history[-1]) if history else None
    if alarm:
        st.warning(alarm, icon=":material/warning:")


def _queued_status(job_id: str) -> None:
    """The queue position and Cancel, polled every QUEUED_REFRESH_S seconds; once the job starts (or ends), one full
    rerun sets up the live fragments."""
    snap = job_manager().snapshot(job_id, session_id(), keys=())
    if snap is None:
        return
    if snap.status != QUEUED:
        st.rerun()
    _draw_status(snap)


def _live_pictures(job_id: str) -> None:
    """Latent view, reconstructions and loss curves; rebuilt only when an epoch has ended since the last poll."""
    snap = job_manager().snapshot(job_id, session_id(), keys=LIVE_KEYS)
    if snap is None or not snap.active:
        return
    marker = (job_id, len(snap.state.get("latent_frames") or []), len(snap.state.get("history") or []),
              len(snap.state.get("preview_frames") or []), snap.state.get("preview") is not None)
    cached = st.session_state.get("_live_view")
    if cached is None or cached[0] != marker:
        cached = (marker, _epoch_view(snap.state))
        st.session_state["_live_view"] = cached
    _draw_pictures(cached[1])
    _draw_losses(cached[1])


def draw_job(job_id: str) -> None:
    """Status, curves and pictures of job_id: live while it is queued or running, then with the replay slider."""
    snap = job_manager().snapshot(job_id, session_id(), keys=())
    if snap is None:
        st.warning("That training job is not on this server any more; start a new one.")
        set_current_job(None)
        return
    if snap.status == QUEUED:
        st.fragment(run_every=QUEUED_REFRESH_S)(_queued_status)(job_id)
        _live_pictures(job_id)  # drawn once (the test images, never a blank panel); live once the job starts
    elif snap.active:
        # Two fragments: the progress bar moves twice a second; the pictures change once an epoch.
        st.fragment(run_every=REFRESH_S)(_live_status)(job_id)
        st.fragment(run_every=PICTURES_REFRESH_S)(_live_pictures)(job_id)
    elif not training_collected(job_id):
        st.rerun()  # it ended after the sidebar ran in this run: rerun so the sidebar selects its model
    else:
        snap = job_manager().snapshot(job_id, session_id())
        _draw_status(snap)
        _collapse_alarm(snap.state.get("history"))  # the finished model's last epoch
        draw_step_control(snap, LIVE_KEYS + REPLAY_KEYS)
        fragment(_replay)(snap)  # the slider reruns only the pictures
        _draw_losses(_epoch_view({"history": snap.state.get("history")}))


def draw_stale_link_notice() -> None:
    """Once, if this tab, reloaded, was watching a job the server no longer has (or that is not this browser's)."""
    if session.url_job_missing:
        session.url_job_missing = False
        st.warning("The training job this tab was watching is no longer on this server (it was restarted, or the "
                   "job is long finished); models it saved are still in the Model list.", icon=":material/link_off:")


def draw_job_list(current: str | None) -> None:
    """This session's trainings (never another session's), to switch the view between them."""
    jobs = sorted(job_manager().jobs_for(session_id(), keys=()), key=lambda s: s.created)
    if len(jobs) < 2:
        return
    labels = {s.id: f"{s.title}: {s.status}" + (f" (queue position {s.queue_position})" if s.queue_position else "")
              for s in jobs}
    st.session_state["job_picker"] = current if current in labels else jobs[-1].id
    st.selectbox("Your trainings", list(labels), format_func=labels.get, key="job_picker",
                 on_change=lambda: set_current_job(st.session_state["job_picker"]),
                 help="Trainings started in this tab; several can run or wait in the queue at once.")
