"""Starting the Train page's jobs: a new training, and "one more epoch" of a finished one, the way GAN Lab lets a
class step through training. The step is a normal job (it queues like any other) whose request carries the finished
run's portable state (aelab.train.loop.ResumeState, kept in the session: ui.common.resume.Resumable), so it trains the
same weights as one run with one more epoch, and is saved the way the original was.
"""
from __future__ import annotations

import copy
import time

import streamlit as st

from aelab.errors import AelabError
from aelab.runtime.jobs import DONE, JobSnapshot
from aelab.train.job import TrainingRequest
from ui.classroom.cards import CARD_KEY, job_card
from ui.common.resume import RESUME_IDLE_S, remember_request, resumable_for
from ui.common.selection import session_id
from ui.train.lifecycle import current_job_id, job_group, job_manager, set_current_job, training_work

DISCARDED_KEYS = ("replay_decoders",)  # what a session's earlier training drops once another one starts


def submit_training(title: str, request: TrainingRequest, shown: dict | None = None) -> str:
    """Queue request as this session's training and watch it; shown: what the view draws until the job reports
    (default: the test images whose reconstructions will appear). Raises JobRefused (an AelabError) when this session
    already has as many trainings running and waiting as the server allows."""
    shown = shown if shown is not None else {
        "preview_input": request.preview_x[:, 0].numpy().copy(), "labels": request.latent_y.numpy().copy(),
        "class_names": tuple(request.class_names)}
    previous = current_job_id()
    job_id = job_manager().submit(session_id(), title, training_work(request),
                                  state={"phase": "waiting for its turn", **shown, CARD_KEY: job_card(request)},
                                  group=job_group())  # (the card: what the teacher's class wall says of it)
    remember_request(job_id, request)
    set_current_job(job_id)
    if previous is not None:  # the page shows the new job now: the earlier one's replay is not drawn again, and a
        # class server keeps 200 finished jobs (its epochs' decoders: ~2.5 MB for ten epochs of the MLP)
        job_manager().discard_state(previous, session_id(), DISCARDED_KEYS)
    return job_id


def draw_step_control(snap: JobSnapshot, keys: tuple[str, ...]) -> None:
    """"One more epoch" after a finished training: a job that goes on from where this one stopped (queued like any
    other), saved over it; its view starts from this one's pictures and history (keys: the state it copies)."""
    kept = resumable_for(snap.id)
    if kept is None or snap.status != DONE:
        return
    if not st.button("One more epoch", key="train_one_more_epoch", icon=":material/skip_next:",
                     help="Train this model one epoch more, going on with the same optimiser state and data order: "
                          "the same as if it had been trained one epoch longer in one go. Kept for "
                          f"{RESUME_IDLE_S / 60:.0f} min after its last use."):
        return
    frames = snap.state.get("latent_frames") or []
    shown = {key: copy.deepcopy(snap.state[key]) for key in keys if key in snap.state}
    name = kept.save_name or kept.request.variant
    try:
        submit_training(f"{name} ({kept.request.variant}), epoch {kept.resume.epoch + 1}",
                        kept.step_request(1, frames[-1] if frames else None), shown)
    except AelabError as err:
        st.error(str(err), icon=":material/error:")
        return
    kept.kept_at = time.time()
    st.rerun()  # draw the new job live
