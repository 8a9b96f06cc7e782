"""Each script run's own time, measured inside the server when AELAB_RUN_LOG is set (aelab.runtime.run_log): started()
at the top of app.py's run (ui.common.process.set_up), finished() when the page has run (ui.common.errors.run_page),
and timed() around a fragment that reruns alone (the class wall's refresh). A no-op otherwise."""
from __future__ import annotations

import contextlib
import threading
import time

from aelab.runtime.run_log import from_environment

_LOG = from_environment()
_local = threading.local()  # a run's start, in the thread running that session's script


def started() -> None:
    if _LOG is not None:
        _local.start = (time.perf_counter(), time.thread_time())


def finished(page: str) -> None:
    start = getattr(_local, "start", None)
    if _LOG is not None and start is not None:
        _local.start = None
        _LOG.record(page, time.perf_counter() - start[0], time.thread_time() - start[1])


@contextlib.contextmanager
def timed(what: str):
    """Time the block as one run of what (a fragment's rerun, which does not run app.py)."""
    if _LOG is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        _LOG.record(what, time.perf_counter() - wall, time.thread_time() - cpu)
