"""What this session keeps to go on from a finished training ("one more epoch" on the Train page): the training's
request and its portable state (aelab.train.loop.ResumeState), one at a time, dropped after RESUME_IDLE_S unused
(or with the session).
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass

from aelab.train.job import TrainingOutcome, TrainingRequest
from aelab.train.loop import ResumeState
from ui.common.session import session

# How long a finished training's state is kept for "one more epoch" after the session last used it (seconds).
RESUME_IDLE_S = float(os.environ.get("AELAB_RESUME_IDLE_S", "1800"))


@dataclass
class Resumable:
    """A finished training this session can go on from: its request and where it stopped (weights, optimiser,
    random streams; a few MB). Kept in the session, one at a time, until RESUME_IDLE_S pass unused."""

    job_id: str
    request: TrainingRequest
    resume: ResumeState
    save_name: str | None
    overwrite: bool
    kept_at: float

    def step_request(self, epochs: int = 1, frame=None) -> TrainingRequest:
        """The request that trains `epochs` more epochs from here and saves like the original did."""
        config = dataclasses.replace(self.request.train_config, epochs=self.resume.epoch + epochs)
        return dataclasses.replace(self.request, train_config=config, resume=self.resume, resume_frame=frame,
                                   save_name=self.save_name, overwrite=self.overwrite)


def remember_request(job_id: str, request: TrainingRequest) -> None:
    """Keep a submitted training's request until it ends, so a finished one can go on ("one more epoch")."""
    session.train_requests[job_id] = request


def resumable_for(job_id: str) -> Resumable | None:
    """The state to go on from job_id, if it is this session's latest finished training and not expired."""
    kept = session.resumable
    if kept is not None and time.time() - kept.kept_at > RESUME_IDLE_S:
        session.resumable = kept = None  # idle too long: let its memory go
    return kept if kept is not None and kept.job_id == job_id else None


def keep_resumable(job_id: str, outcome: TrainingOutcome) -> None:
    """When job_id's outcome is collected: keep what "one more epoch" needs (the session's latest only)."""
    request = session.train_requests.pop(job_id, None)
    if outcome.resume is None or request is None:
        return
    saved = outcome.saved_path is not None
    session.resumable = Resumable(job_id, request, outcome.resume, outcome.saved_path.name if saved else outcome.name
                                  or None, saved or request.overwrite, time.time())
    outcome.resume = None  # the session holds it now; the job manager's copy of the outcome need not
