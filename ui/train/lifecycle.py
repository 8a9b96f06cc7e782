"""A session's trainings, from request to model: the two job lanes (image trainings; quick jobs), submitting to the
server's training executor, re-attaching after a reload, and collecting each finished training's outcome into the
session's models (once, on whichever page the user is).

A training is a request to an executor and a typed outcome back (aelab.train.remote, aelab.train.job); this module
is the only part of ui/ that knows about jobs' outcomes. A finished training's default map is computed after it, in
the background (ui.common.cache.map_later): "Finished" and the saved model never wait for it. The training modules
(torch) are imported where a training is submitted or collected: the sidebar looks for finished trainings on every
page, Home included, which draws without torch.
"""
from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from aelab.library.store import ModelRecord
from aelab.runtime.jobs import JobManager
from aelab.runtime.lanes import QUICK, TRAININGS, lane_manager
from ui.common.cache import map_handoff, map_later
from ui.common.selection import model_owner, select_model, session_id, session_models
from ui.common.session import session

if TYPE_CHECKING:
    from aelab.train.job import TrainingOutcome, TrainingRequest


@st.cache_resource(show_spinner=False)
def job_manager() -> JobManager:
    """The image trainings' lane, one per server process, so jobs survive reruns, page switches and reloads: a
    stated number run at once, each session one running and one waiting, served in turn (aelab.runtime.jobs
    .lane_manager says which environment variables set it)."""
    manager = lane_manager(TRAININGS)
    atexit.register(manager.shutdown, 5.0)  # stop trainings cleanly when the server (or a test process) exits
    return manager


@st.cache_resource(show_spinner=False)
def quick_job_manager() -> JobManager:
    """The lane of jobs that take a second or two (the Playground's toy models, a lesson's quick fit): they never
    wait behind the class's image trainings."""
    manager = lane_manager(QUICK)
    atexit.register(manager.shutdown, 5.0)
    return manager


def training_work(request: TrainingRequest):
    """The work function of a training job for request, on the server's training backend (AELAB_TRAINING_BACKEND:
    thread, process (the default) or ray; aelab.train.remote), then its map started in the background. Called in
    the session's thread: what the job's thread needs of the session is taken here."""
    from aelab.train import remote

    train, handoff = remote.training_work(request, training_executor()), map_handoff(
        quick_job_manager(), job_group(), model_owner("library"))

    def train_then_map(ctx) -> TrainingOutcome:
        outcome = train(ctx)
        try:
            map_later(handoff, outcome, request)
        except Exception:  # the training is done and saved: a map that cannot start is fitted by the page instead
            logging.getLogger(__name__).exception("could not start the map of %s", outcome.name)
        return outcome

    return train_then_map


def training_executor():
    """The server's training executor, made (and its warm worker started, off the page's thread) on first use: the
    Train page calls it as it opens, so the worker is ready when Start is pressed."""
    from aelab.train import remote

    return remote.training_executor(warm=int(os.environ.get("AELAB_WARM_WORKERS", "1")))


def current_job_id() -> str | None:
    """The training job this session is watching, or None. Kept in the tab's sessionStorage (never in the URL:
    ui.common.tab_job), so a reloaded tab re-attaches to it."""
    return session.train_job


def set_current_job(job_id: str | None) -> None:
    """Watch job_id; the sidebar has the tab keep it (ui.common.tab_job) so a reloaded tab re-attaches to it."""
    session.train_job = job_id


def job_group() -> str:
    """Who may attach to this session's trainings after a reload: this browser's library owner (its own with
    private libraries; everyone's with one shared library, where the id is known only to the tab that holds it)."""
    return model_owner("library")


def attach_job(job_id: str) -> bool:
    """Re-attach this session to a job started by an earlier session of the same tab (a reload); False if the
    server has no such job (it restarted, or forgot old finished jobs) or it was started by another browser."""
    if not job_manager().attach(job_id, session_id(), group=job_group()):
        return False
    set_current_job(job_id)
    return True


def record_from_outcome(outcome: TrainingOutcome, name: str) -> ModelRecord:
    """A finished training's model as a ModelRecord kept in this session (not saved to the library); its weights'
    digest is taken here, once."""
    return ModelRecord(outcome.model, name, Path("session") / name, outcome.variant, outcome.model_config,
                       outcome.train_config, outcome.dataset, dict(outcome.metrics), list(outcome.history),
                       owner=model_owner("session"))


def training_collected(job_id: str) -> bool:
    """Whether collect_finished_trainings has already handled this finished job in this session."""
    return job_id in session.handled_jobs


def collect_finished_trainings() -> list[str]:
    """Once per finished training job of this session: make its model the selected one, from the library if it was
    saved, else kept in this session (saving failed, or no name). Returns a message per job handled.
    Called by the sidebar before it draws the model picker, on whichever page the user is."""
    handled = session.handled_jobs
    messages = []
    for snap in job_manager().jobs_for(session_id(), keys=()):  # runs on every rerun: copy no frames
        if snap.active or snap.id in handled:
            continue
        handled.add(snap.id)
        from aelab.train.job import TrainingOutcome  # (a training ran in this process: torch is loaded)
        from ui.common.resume import keep_resumable

        outcome = snap.result
        if isinstance(outcome, TrainingOutcome):
            keep_resumable(snap.id, outcome)
        else:
            session.train_requests.pop(snap.id, None)
        if not isinstance(outcome, TrainingOutcome):
            if snap.error:  # (a job cancelled while queued has neither error nor model: nothing to say)
                messages.append(f"Training {snap.title} stopped with an error: {snap.error}")
            continue
        how = "cancelled, model kept" if outcome.cancelled else "finished"
        if outcome.saved_path is not None:
            select_model(f"library/{outcome.saved_path.name}")
            messages.append(f"Training {how}: {outcome.saved_path.name} is saved and selected.")
        else:
            name = outcome.name or f"{outcome.variant}-{snap.id[:6]}"
            session_models()[name] = record_from_outcome(outcome, name)
            select_model(f"session/{name}")
            messages.append(f"Training {how}: {name} is kept in this session only and selected.")
    return messages
