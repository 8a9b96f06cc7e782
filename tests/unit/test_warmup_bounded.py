"""The UMAP warm-up never takes minutes of CPU from the people using the app: it is off unless AELAB_UMAP_WARMUP=1,
never started with the server (only the Latent Space page asks for it), runs the small-map step only, at the lowest
scheduling priority, and only after a delay that lets the page that asked settle first."""
import inspect
import os
import sys
import threading
from pathlib import Path

import pytest

from aelab.runtime.warmup import LOWEST_PRIORITY, UMAP_STEPS, UMAP_WARMUP_STEPS, start_warmup

REPO = Path(__file__).resolve().parents[2]


def test_the_app_warms_up_small_maps_only():
    assert [name for name, _ in UMAP_WARMUP_STEPS] == ["small maps"]
    assert {name for name, _ in UMAP_STEPS} - {name for name, _ in UMAP_WARMUP_STEPS} == {"large maps"}
    # what the app's ui.common.warmup runs: the defaults
    assert inspect.signature(start_warmup).parameters["steps"].default == UMAP_WARMUP_STEPS
    assert inspect.signature(start_warmup).parameters["niceness"].default == LOWEST_PRIORITY


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_warmup_runs_at_the_lowest_priority_after_its_delay():
    seen: dict[str, int] = {}
    own_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    released = threading.Event()

    def probe() -> None:
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        released.wait(5)

    state = start_warmup("probe", steps=[("small maps", probe)], delay_s=0.5)
    assert "nice" not in seen  # still waiting out its delay
    state.thread.join(0.2)
    assert "nice" not in seen and not state.done
    released.set()
    state.thread.join(5)
    assert state.done and state.completed == ["small maps"]
    assert seen["nice"] >= LOWEST_PRIORITY
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own_before  # only the warm-up thread


def test_a_server_start_does_not_start_the_warmup():
    """app.py (run for every session) does not start it (only the import warm-up); the Latent Space page's map
    controls do, when asked to."""
    assert "umap_warmup" not in (REPO / "app.py").read_text()
    view = (REPO / "ui" / "latent" / "view.py").read_text()
    assert "umap_warmup()  # the first visit" in view


def test_the_warmup_is_off_unless_asked_for(monkeypatch):
    import ui.common.warmup as warmup

    monkeypatch.setattr(warmup, "real_server", lambda: True)
    started = []
    monkeypatch.setattr(warmup, "start_warmup", lambda *a, **k: started.append(k) or "state")
    for value, expected in ((None, None), ("0", None), ("1", "state")):
        warmup.umap_warmup.clear()
        if value is None:
            monkeypatch.delenv("AELAB_UMAP_WARMUP", raising=False)
        else:
            monkeypatch.setenv("AELAB_UMAP_WARMUP", value)
        assert warmup.umap_warmup() == expected
    assert started == [{"delay_s": warmup.WARMUP_DELAY_S}]
    warmup.umap_warmup.clear()


def test_the_import_warmup_imports_what_later_pages_need_once_and_can_be_switched_off(monkeypatch):
    import sys

    import ui.common.warmup as warmup

    monkeypatch.setattr(warmup, "real_server", lambda: True)
    monkeypatch.setenv("AELAB_WARM_IMPORTS", "0")
    warmup.import_warmup.clear()
    assert warmup.import_warmup() is None
    monkeypatch.delenv("AELAB_WARM_IMPORTS")
    warmup.import_warmup.clear()
    state = warmup.import_warmup()
    assert state is warmup.import_warmup()  # once per process
    state.thread.join(120)
    assert state.done and state.error is None and state.completed == [*warmup.WARM_MODULES, "a Plotly figure"]
    assert all(name in sys.modules for name in warmup.WARM_MODULES)
    warmup.import_warmup.clear()
    monkeypatch.setattr(warmup, "real_server", lambda: False)  # under AppTest: never
    assert warmup.import_warmup() is None
    warmup.import_warmup.clear()
