"""The Playground page: knobs on the left; on the right the model's pictures, which follow a training as it runs.

The model is a ToyRun (aelab.lessons.playground) kept in this session. Play runs it as a job of the server's quick
lane (a background thread that never waits behind image trainings; the page polls it in a fragment every REFRESH_S
seconds); Pause cancels the job, which stops after its current epoch and leaves the run ready to go on; Step trains
one epoch here and now. Every picture is computed from the model under the run's lock, so a picture never sees
weights halfway through an update.
"""
from __future__ import annotations

import functools

import streamlit as st

from aelab.errors import AelabError, JobRefused
from aelab.lessons.playground import ToyRun, play
from aelab.runtime.jobs import ERROR
from ui.common import present
from ui.common.selection import session_id
from ui.common.session import session
from ui.playground import sections
from ui.playground.controls import Settings, data_controls, model_controls
from ui.train.lifecycle import quick_job_manager as job_manager

REFRESH_S = 0.7


def _run() -> ToyRun | None:
    return session.playground.run


def _job_snapshot():
    job_id = session.playground.job
    return job_manager().snapshot(job_id, session_id(), keys=("epoch",)) if job_id else None


def _training() -> bool:
    snap = _job_snapshot()
    return bool(snap and snap.active)


def _new_run(settings: Settings) -> ToyRun | None:
    """A fresh model from the settings, or None after saying why (the old model, if any, is kept)."""
    if settings.data is None:  # its reason is already on the page, once
        return None
    try:
        run = ToyRun(settings.data, settings.variant, settings.model, settings.train)
    except AelabError as err:
        session.playground.message = str(err)
        return None
    session.playground.run = run
    return run


def _start(run: ToyRun) -> None:
    try:
        session.playground.job = job_manager().submit(session_id(), f"playground {run.variant} on {run.data.name}",
                                                      functools.partial(play, run))
    except JobRefused as err:  # (clicking Train many times while the last ones are still stopping)
        session.playground.message = str(err)


def _buttons(settings: Settings) -> None:
    run, training = _run(), _training()
    train_col, play_col, step_col = st.columns([1.25, 1, 1])
    if train_col.button("Train", type="primary", key="pg_train", icon=":material/play_arrow:",
                        help="A fresh model on this data with these settings, trained in the background (new "
                             "settings apply to the next model you train)."):
        if training:
            job_manager().cancel(session.playground.job, session_id())
        run = _new_run(settings)
        if run is not None:
            _start(run)
            st.rerun()
    if training:
        if play_col.button("Pause", key="pg_pause"):
            job_manager().cancel(session.playground.job, session_id())
            st.rerun()
    elif play_col.button("Play", key="pg_play", disabled=run is None or run.finished,
                         help="Go on training this model from where it stopped."):
        _start(run)
        st.rerun()
    if step_col.button("Step", key="pg_step", disabled=training,
                       help="Train one more epoch of this model (a new model first if there is none) and look."):
        if run is None or (run.finished and run.model_config.is_baseline):
            run = _new_run(settings)
        if run is not None:
            run.step_epochs(1, beyond_target=True)
    message, session.playground.message = session.playground.message, None
    if message:
        st.error(message, icon=":material/error:")


def _status(run: ToyRun, training: bool) -> None:
    losses = run.history[-1]["train"] if run.history else {}
    terms = ", ".join(f"{k} {v:.4g}" for k, v in losses.items() if k != "total")
    state = "training" if training else ("done" if run.finished else "paused")
    extra = f" (+{run.epoch - run.total_epochs} stepped)" if run.epoch > run.total_epochs else ""
    st.progress(min(1.0, run.epoch / run.total_epochs),
                text=f"**{run.variant.replace('_', ' ')}** on **{run.data.name}**: "
                f"epoch {min(run.epoch, run.total_epochs)}/{run.total_epochs}{extra} ({state}, {run.elapsed_s:.1f} s)" +
                (f"; loss per point: {terms}" if terms else ""))


def _live(view: str) -> None:
    """Status and the chosen picture; a fragment that reruns itself while the job trains."""
    run, training = _run(), _training()
    if not training and session.playground.was_training:
        session.playground.was_training = False
        st.rerun()  # once, when the job ends: the buttons go back to Play / Step
    session.playground.was_training = training
    snap = _job_snapshot()
    if snap is not None and snap.status == ERROR:
        st.error(f"Training stopped: {snap.error}", icon=":material/error:")
    with run.holding():  # (waits for the epoch in progress, never for the whole training)
        _status(run, training)
        sections.draw(view, run)


def render() -> None:
    st.title("Playground")
    present.intro("Autoencoders on points you can see whole: a curve in the plane or in space, a small model, and "
                  "where every point goes. Pick data and a model, press **Train**, and watch (or **Step** one epoch "
                  "at a time). This page has its own data and models: it ignores the sidebar's dataset and model.")
    left, right = st.columns([1.25, 2.2], gap="large")
    with left:
        data, data_error = data_controls()
        variant, model, train = model_controls()
        settings = Settings(data, data_error, variant, model, train)
        if data_error:
            st.info(data_error, icon=":material/info:")
        _buttons(settings)
    with right:  # (the views mark their own main picture: the chart, not the words around it)
        run = _run()
        if run is None:
            if data is not None:
                sections.draw_data_only(data)
            return
        view = sections.view_picker(run)
        st.fragment(run_every=REFRESH_S if _training() else None)(_live)(view)

