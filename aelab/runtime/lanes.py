"""A server's two job lanes, configured from the environment: image trainings, and jobs of a second or two (the
Playground's toy models, a lesson's quick fit) that must never wait behind them. Each lane is a JobManager
(aelab.runtime.jobs); the app keeps one of each per process (ui.common.state).
"""
from __future__ import annotations

import os

from aelab.errors import AelabError
from aelab.runtime.jobs import JobManager

TRAININGS, QUICK = "trainings", "quick"  # the lanes: image trainings; jobs of a second or two (toy models, quick fits)


def _env_int(names: tuple[str, ...], default: int) -> int:
    """The first of the environment variables names that is set (a whole number >= 0; 0 = the default)."""
    for name in names:
        text = os.environ.get(name, "").strip()
        if text:
            try:
                return int(text) or default
            except ValueError:
                raise AelabError(f"{name} must be a whole number, got {text!r}.") from None
    return default


def lane_manager(lane: str) -> JobManager:
    """A server's job manager for lane (TRAININGS or QUICK), from the environment:

    AELAB_MAX_TRAININGS (or the older AELAB_MAX_JOBS)  image trainings at once; default half the cores, at least 1
        (on 2 cores one training, which keeps a core for the pages: bench/concurrent_trainings.py measures it)
    AELAB_TRAININGS_PER_SESSION, AELAB_QUEUED_PER_SESSION  one session's running / waiting trainings (1 and 1)
    AELAB_MAX_QUICK_JOBS  quick jobs at once (default 1); each session runs one at a time with up to 4 waiting
    AELAB_JOB_NICENESS  how much lower the job threads' priority is than the server's (default 10)
    """
    niceness = _env_int(("AELAB_JOB_NICENESS",), 10) if os.environ.get("AELAB_JOB_NICENESS") != "0" else 0
    if lane == QUICK:
        return JobManager(_env_int(("AELAB_MAX_QUICK_JOBS",), 1), niceness=niceness, max_running_per_viewer=1,
                          max_queued_per_viewer=4)
    return JobManager(_env_int(("AELAB_MAX_TRAININGS", "AELAB_MAX_JOBS"), max(1, (os.cpu_count() or 2) // 2)),
                      niceness=niceness, max_running_per_viewer=_env_int(("AELAB_TRAININGS_PER_SESSION",), 1),
                      max_queued_per_viewer=_env_int(("AELAB_QUEUED_PER_SESSION",), 1))
