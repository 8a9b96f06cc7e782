"""The state pages share across reruns and page switches, with types: one property per item instead of loose strings.

Everything lives in st.session_state (one browser tab's session) under the keys named here. Two of them are also
widget keys, the sidebar's Dataset and Model pickers (DATASET_KEY, MODEL_KEY): a widget's value may only be set
before the widget is drawn in a run, hence pending_model_key (see ui.common.selection.select_model).
Page-only widget keys live in each page's view module; this file holds what more than one page reads.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import streamlit as st

SESSION_ID_KEY = "session_id"
DATASET_KEY = "dataset"  # the sidebar's Dataset picker: a source name, or UPLOAD_PREFIX + an upload's name
UPLOADS_KEY = "uploads"  # {UPLOAD_PREFIX + name: Dataset}
UPLOAD_FILES_KEY = "upload_file_ids"  # {upload key: ids of the uploader's files it was read from}
MODEL_KEY = "model_key"  # the sidebar's Model picker: "pretrained/NAME", "library/NAME" or "session/NAME"
PENDING_MODEL_KEY = "pending_model_key"
CONDITION_LABEL_KEY = "condition_label"  # the sidebar's class picker for a conditional model (one for every page)
SESSION_MODELS_KEY = "session_models"  # {name: ModelRecord}, trained here and not saved
TRAIN_JOB_KEY = "train_job"
HANDLED_JOBS_KEY = "handled_jobs"
TRAIN_REQUESTS_KEY = "train_requests"  # {job id: TrainingRequest} of this session's trainings not yet collected
RESUMABLE_KEY = "resumable"  # the last finished training's state to go on from (ui.common.resume.Resumable)
UPLOAD_ERROR_KEY = "upload_error"
LAST_UPLOAD_KEY = "last_upload"
TASKS_KEY = "tasks"  # {slot: Task}: the Lessons' and Known factors' background computations
PLAYGROUND_KEY = "playground"  # the Playground's toy model and its job
BETA_POINTS_KEY = "beta_points"
RATE_POINTS_KEY = "rate_points"
RESOLVED_MODEL_KEY = "resolved_model"
URL_JOB_MISSING_KEY = "url_job_missing"


@dataclass
class Task:
    """A background computation a page started (a lesson's fit, a beta-VAE point): its job, or why it failed."""

    job: str | None = None
    error: str | None = None


@dataclass
class Playground:
    """The Playground's toy model (an aelab.lessons.playground.ToyRun) and the job training it."""

    run: Any = None
    job: str | None = None
    message: str | None = None  # one line to show on the next run (a refused start)
    was_training: bool = False
    last_click: tuple | None = None  # (x, y, time) of the plane's click taken last (the component repeats it)


class Session:
    """Typed properties over st.session_state (the current tab's, whichever thread runs the script)."""

    @property
    def _state(self):
        return st.session_state

    def _get(self, key: str, default: Any = None) -> Any:
        return self._state.get(key, default)

    def _set(self, key: str, value: Any) -> None:
        if value is None:
            self._state.pop(key, None)
        else:
            self._state[key] = value

    # ------------------------------------------------------------------------------------------------ who
    @property
    def id(self) -> str:
        """This session's id: the owner of its uploads and unsaved models, and of the results computed from them."""
        if SESSION_ID_KEY not in self._state:
            self._state[SESSION_ID_KEY] = uuid.uuid4().hex
        return self._state[SESSION_ID_KEY]

    # ------------------------------------------------------------------------------------------------ data
    @property
    def uploads(self) -> dict:
        """This session's uploaded datasets, {UPLOAD_PREFIX + name: Dataset}."""
        return self._state.setdefault(UPLOADS_KEY, {})

    @property
    def upload_files(self) -> dict:
        """{upload key: frozenset of the uploader's file ids it was read from} (ui.common.uploads)."""
        return self._state.setdefault(UPLOAD_FILES_KEY, {})

    @property
    def upload_error(self) -> str | None:
        return self._get(UPLOAD_ERROR_KEY)

    @upload_error.setter
    def upload_error(self, message: str | None) -> None:
        self._set(UPLOAD_ERROR_KEY, message)

    @property
    def last_upload(self) -> tuple | None:
        """(name, size) of each file of the upload handled last, so a rerun does not read it again."""
        return self._get(LAST_UPLOAD_KEY)

    @last_upload.setter
    def last_upload(self, signature: tuple | None) -> None:
        self._set(LAST_UPLOAD_KEY, signature)

    # ------------------------------------------------------------------------------------------------ models
    @property
    def model_key(self) -> str | None:
        """The model the sidebar resolved on this run: "pretrained/NAME", "library/NAME", "session/NAME" or None."""
        return self._get(RESOLVED_MODEL_KEY)

    @model_key.setter
    def model_key(self, key: str | None) -> None:
        self._set(RESOLVED_MODEL_KEY, key)

    @property
    def pending_model_key(self) -> str | None:
        return self._get(PENDING_MODEL_KEY)

    @pending_model_key.setter
    def pending_model_key(self, key: str | None) -> None:
        self._set(PENDING_MODEL_KEY, key)

    def take_pending_model_key(self) -> str | None:
        """The model to select, once (the sidebar's picker applies it)."""
        return self._state.pop(PENDING_MODEL_KEY, None)

    @property
    def session_models(self) -> dict:
        """Models trained in this session and not saved, {name: ModelRecord}."""
        return self._state.setdefault(SESSION_MODELS_KEY, {})

    # ------------------------------------------------------------------------------------------------ training
    @property
    def train_job(self) -> str | None:
        return self._get(TRAIN_JOB_KEY)

    @train_job.setter
    def train_job(self, job_id: str | None) -> None:
        self._set(TRAIN_JOB_KEY, job_id)

    @property
    def handled_jobs(self) -> set[str]:
        """Finished jobs whose model this session has already taken in."""
        return self._state.setdefault(HANDLED_JOBS_KEY, set())

    @property
    def train_requests(self) -> dict:
        """{job id: TrainingRequest} of this session's trainings, until their outcome is collected."""
        return self._state.setdefault(TRAIN_REQUESTS_KEY, {})

    @property
    def resumable(self) -> Any:
        """The last finished training that "one more epoch" can go on from (a Resumable), or None."""
        return self._get(RESUMABLE_KEY)

    @resumable.setter
    def resumable(self, value: Any) -> None:
        self._set(RESUMABLE_KEY, value)

    # ------------------------------------------------------------------------------------------------ pages' work
    def task(self, slot: str) -> Task:
        """The background computation of a page's button (slot names it), created empty."""
        return self._state.setdefault(TASKS_KEY, {}).setdefault(slot, Task())

    @property
    def beta_points(self) -> list:
        """The Known factors page's beta-VAE points this session asked for (their result-store keys)."""
        return self._state.setdefault(BETA_POINTS_KEY, [])

    @property
    def rate_points(self) -> list:
        """The Lessons' rate-distortion points this session trained (their result-store keys)."""
        return self._state.setdefault(RATE_POINTS_KEY, [])

    @property
    def playground(self) -> Playground:
        return self._state.setdefault(PLAYGROUND_KEY, Playground())

    # ------------------------------------------------------------------------------------------------ the URL
    @property
    def url_job_missing(self) -> bool:
        return bool(self._get(URL_JOB_MISSING_KEY))

    @url_job_missing.setter
    def url_job_missing(self, missing: bool) -> None:
        self._set(URL_JOB_MISSING_KEY, True if missing else None)


session = Session()
