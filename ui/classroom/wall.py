"""The Class page once unlocked: the wall of tiles, refreshing on its own; sort, filter, project, publish, stop, and
a comparison of the students the teacher picks.

The wall is a fragment that reruns every REFRESH_S seconds while any training on it is queued or running, and every
IDLE_REFRESH_S seconds otherwise (a student who arrives or starts training shows up within that); when that changes
it reruns the page once to change its pace. A refresh copies each job's small state (not its frame lists: only
their latest frame) and draws pictures only for tiles with a new epoch. Measured (bench/classroom.py --wall, README):
the server's CPU per refresh of a wall of 20 tiles, and the interval chosen from it.
"""
from __future__ import annotations

import html

import plotly.graph_objects as go
import streamlit as st

from aelab.models.variants import VARIANTS
from aelab.views.pages import ClassView
from ui.classroom import actions
from ui.classroom.access import class_roster, lock, still_unlocked
from ui.classroom.tiles import (
    LIGHT_KEYS,
    PICTURE_KEYS,
    PICTURE_TAILS,
    STYLE,
    Pictures,
    Tile,
    arrange,
    build_tiles,
    main_term,
    tile_html,
    tile_pictures,
)
from ui.common import run_timing
from ui.common.text import plain
from ui.common.view_state import Bound
from ui.common.viewer import private_libraries
from ui.common.widgets import PALETTE
from ui.train.lifecycle import job_manager

REFRESH_S = 2.0  # while a training on the wall is queued or running
IDLE_REFRESH_S = 10.0  # otherwise
COLUMNS = 4
FLASH_KEY = "class_flash"  # (ok, line) of the last action, shown once
SORTS = {"start": "Start time", "loss": "Loss (lowest first)"}


def current_tiles() -> list[Tile]:
    return build_tiles(job_manager().listing(LIGHT_KEYS), class_roster())


def _picture_states(ids: set[str]) -> dict[str, dict]:
    return {j.snapshot.id: j.snapshot.state for j in job_manager().listing(PICTURE_KEYS, PICTURE_TAILS, ids)}


def draw_wall(view: Bound[ClassView]) -> None:
    """The whole unlocked page: the controls, then the refreshing wall."""
    head, lock_column = st.columns([6, 1], vertical_alignment="center")
    head.caption("Every student's running or last training on this server, live. **Project** opens a copy of a "
                 "model full-size in presenter mode; **Publish** shares a copy with the class.")
    lock_column.button("Lock", key="class_lock", on_click=lock, icon=":material/lock:",
                       help="End this browser's access to the class wall (the key is needed again).")
    if not private_libraries():
        st.warning("This server has one library for everyone (AELAB_LIBRARIES=shared): browsers cannot be told "
                   "apart, so each tab is a tile of its own and a reload adds one. A class server sets "
                   "AELAB_LIBRARIES=private.", icon=":material/group_off:")
    sort_column, variant_column, target_column = st.columns(3)
    view.segmented_control("sort", "Sort by", list(SORTS), where=sort_column, format_func=SORTS.get)
    view.selectbox("variant", "Variant", ["all", *VARIANTS], where=variant_column)
    view.segmented_control("target", "Project on", list(actions.TARGETS), where=target_column,
                           format_func=actions.TARGETS.get)
    st.html(STYLE)
    busy = any(t.job is not None and t.job.active for t in current_tiles())
    st.fragment(run_every=REFRESH_S if busy else IDLE_REFRESH_S)(_refresh)(view, busy)


def _refresh(view: Bound[ClassView], busy: bool) -> None:
    with run_timing.timed("class/refresh"):
        if not still_unlocked():
            st.rerun()  # locked from another tab, or expired: the page shows the password field again
        tiles = current_tiles()
        if any(t.job is not None and t.job.active for t in tiles) != busy:
            st.rerun()  # a training started or the last one ended: the wall's pace changes
        flash = st.session_state.pop(FLASH_KEY, None)
        if flash:
            (st.success if flash[0] else st.warning)(flash[1])
        shown = arrange(tiles, view.view.sort, view.view.variant)
        drawn = tile_pictures(shown, _picture_states)
        if not shown:
            st.info("No student's browser has been active in the last hour" + (
                "" if view.view.variant == "all" else f" with a {view.view.variant} training") + ".")
        for row in range(0, len(shown), COLUMNS):
            for column, tile in zip(st.columns(COLUMNS), shown[row:row + COLUMNS]):
                with column:
                    _draw_tile(tile, drawn.get(tile.job.id) if tile.job else None, view.view.target)
        _compare(view, tiles)


def _draw_tile(tile: Tile, drawn: Pictures | None, target: str) -> None:
    number = tile.member.number  # widget keys by the student's number: a tile keeps its buttons when the order moves
    with st.container(border=True, key=f"wall_tile_{number}"):
        st.html(tile_html(tile, drawn))
        with st.container(horizontal=True, gap="small"):  # (wraps on a narrow tile)
            _tile_buttons(tile, target, number)


def _tile_buttons(tile: Tile, target: str, number: int) -> None:
    """Project, Publish and Stop: compact (tertiary) buttons, so the three fit a tile's width."""
    where = actions.TARGETS.get(target, "Latent space")
    if st.button("Project", key=f"project_{number}", disabled=not tile.model_ready, type="tertiary",
                 icon=":material/cast:", help=f"Open a copy of this model on {where} in presenter mode."):
        st.session_state[FLASH_KEY] = (False, actions.project(tile, target))  # (a page switch when it can)
        st.rerun()
    if st.button("Publish", key=f"publish_{number}", disabled=not tile.model_ready or not tile.card.get("shared"),
                 type="tertiary", icon=":material/share:",
                 help="Share a copy with the class under a new name (every student's Model list)."):
        st.session_state[FLASH_KEY] = actions.publish(tile)
        st.rerun()
    if st.button("Stop", key=f"stop_{number}", disabled=tile.job is None or not tile.job.active, type="tertiary",
                 icon=":material/stop_circle:",
                 help="Cancel this training after its current step (the model so far is kept)."):
        st.session_state[FLASH_KEY] = (True, actions.stop(tile))
        st.rerun()


def _compare(view: Bound[ClassView], tiles: list[Tile]) -> None:
    """The loss curves of the students picked, on one chart, and their latent maps side by side."""
    names = {t.member.number: t.member.name for t in tiles if t.history}
    if len(names) < 2:
        return
    st.subheader("Compare")
    chosen = view.multiselect("compare", "Students to compare", list(names), format_func=names.get,
                              help="Their loss curves on one chart, and their latent maps side by side.")
    picked = [t for t in tiles if t.member.number in chosen]
    if not picked:
        return
    st.plotly_chart(_curves_figure(picked), key="compare_curves")
    drawn = tile_pictures(picked, _picture_states)  # (drawn already for the tiles shown)
    maps = [(t, drawn[t.job.id].latent_big) for t in picked if t.job is not None and t.job.id in drawn]
    maps = [(t, uri) for t, uri in maps if uri]
    for column, (tile, uri) in zip(st.columns(max(1, len(maps))), maps):
        column.html(f'<img alt="latent map" src="{uri}" style="width:100%">')
        column.caption(plain(f"{tile.member.name}: {tile.variant}, after epoch {len(tile.history)}"))


def _curves_figure(tiles: list[Tile]) -> go.Figure:
    fig = go.Figure()
    for i, tile in enumerate(tiles):
        history, term = tile.history, main_term(tile.history)
        split = "val" if history[0].get("val") else "train"
        # Plotly reads a few HTML tags in trace names: the student's text is escaped
        fig.add_scatter(x=[h["epoch"] for h in history], y=[(h.get(split) or {}).get(term) for h in history],
                        name=html.escape(f"{tile.member.name} ({tile.variant})"), mode="lines+markers",
                        line={"color": PALETTE[i % len(PALETTE)]})
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="epoch",
                      yaxis_title="loss per image (test, else train)", legend={"orientation": "h", "y": -0.25})
    return fig
