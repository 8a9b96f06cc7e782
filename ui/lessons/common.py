"""What the Lessons page's sections share: the section switch, results kept in the process-wide result store,
background tasks with a progress bar, and small figure builders. The sections live in ui/lessons/*.py.

Training here (a linear AE, the sweep, the demo models) runs as a job (ui.train.lifecycle.job_manager) so a widget
touched meanwhile does not throw the work away; the job writes its result into the result store under the dataset's
identity (ui.common.cache) and the section's parameters, so every session on the same named data sees it (an
upload's stay its session's), and this session's page reruns once when it is done. Quick fits (QUICK_SLOTS: seconds)
run in the server's quick lane, so they never wait behind the class's image trainings; the sweep and the demo
models, which are image trainings, queue with them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aelab.errors import JobRefused
from aelab.lessons.basics import first_layer, strongest_tiles, tile_grid
from aelab.runtime.jobs import JobContext, JobManager
from ui.common import cache
from ui.common.selection import session_id
from ui.common.session import session
from ui.common.view_state import Bound
from ui.train.lifecycle import job_manager, quick_job_manager

SECTIONS = {
    "pca": "PCA = linear AE",
    "kmeans": "k-means = AE",
    "bottleneck": "Bottleneck size",
    "copy": "Under/over-complete",
    "weights": "First-layer weights",
    "rate": "Rate and distortion",
}

QUICK_SLOTS = ("linear", "tied")  # tasks of a few seconds: the quick lane


def _manager(slot: str) -> JobManager:
    return quick_job_manager() if slot in QUICK_SLOTS else job_manager()


def may_have_shipped(dataset) -> bool:
    """Named datasets may have results built by `python -m aelab build-lessons` (mnist-5k's and digits' ship with the
    app); a session's upload never has, whatever its file is called."""
    return dataset.named_source


def section_picker(view: Bound) -> str:
    """The section switch (?section= in the link, so a teacher can link one lesson). Renders one section."""
    return view.segmented_control("section", "Lesson", list(SECTIONS), key="lessons_section", format_func=SECTIONS.get,
                                  label_visibility="collapsed")


# ------------------------------------------------------------------------------------------------ results
def stored(dataset, what: str, params: Any = ()) -> Any:
    """The result of section task `what` on dataset with params, or None."""
    return cache.result_store().get(cache.identity(dataset=dataset), f"lessons/{what}", params)


# ------------------------------------------------------------------------------------------------ tasks
def start_task(slot: str, title: str, dataset, result_key: tuple,
               compute: Callable[[Callable[[float, str], None], Callable[[], bool]], Any]) -> None:
    """Run compute(on_progress, should_stop) as a background job; its result, unless None (stopped), is stored
    for dataset under result_key = (what, params) (see stored). slot names the button, so one session runs one task
    per slot at a time."""
    what, params = result_key
    results, identity = cache.result_store(), cache.identity(dataset=dataset)  # taken here: the job calls no st.*

    def work(ctx: JobContext) -> None:
        result = compute(lambda fraction, text: ctx.report(fraction=fraction, text=text), ctx.should_stop)
        if result is not None and not ctx.should_stop():
            results.put(identity, f"lessons/{what}", params, result)

    task = session.task(slot)
    try:
        task.job = _manager(slot).submit(session_id(), title, work)
    except JobRefused as err:  # this session already has as many trainings as it may: say so where the bar would be
        task.error = str(err)


def task_running(slot: str) -> bool:
    job_id = session.task(slot).job
    snapshot = _manager(slot).snapshot(job_id, session_id()) if job_id else None
    return snapshot is not None and snapshot.active


def task_failed(slot: str) -> bool:
    return session.task(slot).error is not None


def show_task(slot: str) -> None:
    """This session's task in slot: a live progress bar with a Stop button; an error message if it failed."""
    task = session.task(slot)
    job_id = task.job
    if not job_id:
        if task.error:
            st.error(task.error)
        return

    @st.fragment(run_every=0.5)
    def poll() -> None:
        snapshot = _manager(slot).snapshot(job_id, session_id())
        if snapshot is not None and snapshot.active:
            state = snapshot.state
            text = "waiting for a free core..." if snapshot.queue_position else state.get("text", "starting...")
            bar, stop = st.columns([6, 1], vertical_alignment="center")
            bar.progress(float(state.get("fraction", 0.0)), text=text)
            if stop.button("Stop", key=f"lessons_stop_{slot}", icon=":material/stop:"):
                _manager(slot).cancel(job_id, session_id())
            return
        task.job = None
        task.error = f"That did not work: {snapshot.error}" if snapshot is not None and snapshot.error else None
        st.rerun()  # the whole page, so the section draws the new result (and the polling stops)

    poll()


def task_button(slot: str, label: str, title: str, dataset, result_key: tuple, compute, help: str | None = None,
                icon: str = ":material/play_arrow:") -> None:
    """A button that starts the task (disabled while it runs), followed by its progress."""
    running = task_running(slot)
    if st.button(label, key=f"lessons_button_{slot}", disabled=running, help=help, icon=icon):
        start_task(slot, title, dataset, result_key, compute)
        running = True
    if running or task_failed(slot):
        show_task(slot)


# ------------------------------------------------------------------------------------------------ figures
def bar_figure(series: dict[str, np.ndarray], x_title: str, y_title: str, height: int = 300,
               colours: list[str] | None = None, y_range: list[float] | None = None) -> go.Figure:
    """Grouped bars, one series per entry, x = 1, 2, ... (component or angle index)."""
    from ui.common.widgets import PALETTE

    colours = colours or PALETTE
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        values = np.asarray(values)
        fig.add_bar(x=np.arange(1, len(values) + 1), y=values, name=name, marker_color=colours[i % len(colours)])
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title=x_title,
                      yaxis_title=y_title, barmode="group", legend={"orientation": "h", "y": 1.12})
    if y_range:
        fig.update_yaxes(range=y_range)
    return fig


def code_figure(code: torch.Tensor, colour: str, height: int = 130) -> go.Figure:
    """One code vector as small bars (k-means' one-hot or soft k-means' responsibilities), y from 0 to 1."""
    fig = go.Figure(go.Bar(x=np.arange(len(code)), y=code.numpy(), marker_color=colour))
    fig.update_layout(height=height, margin={"l": 5, "r": 5, "t": 5, "b": 5}, yaxis={"range": [0, 1.02]},
                      xaxis={"showticklabels": len(code) <= 16, "dtick": 1}, showlegend=False)
    return fig


def weight_picture(model, n_tiles: int, diverging: bool, ncol: int = 8) -> tuple[np.ndarray, str, int]:
    """The strongest n_tiles first-layer tiles of model as an RGB picture, what they are, and how many are shown."""
    tiles, what = first_layer(model)
    order = strongest_tiles(tiles, n_tiles)
    scale = max(1, 84 // max(tiles.shape[1:]))  # small kernels (3x3) enlarged more than 28x28 units
    return tile_grid(tiles[order], ncol=ncol, scale=scale, diverging=diverging), what, len(order)
