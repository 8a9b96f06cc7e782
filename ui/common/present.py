"""Presenter mode, for a projector: ?present=1 (or the "Presenter mode" toggle) hides the sidebar (its pickers still
run, hidden, so the dataset and model stay chosen), moves the page list to the top bar (every page by its full name),
drops the pages' intro text, folds the controls a view does not need into expanders, and puts each page's main
picture first: at 1280x720 it starts in the top half of the screen and shows at least 360 px of itself.

One place for every page: app.py calls setup() before anything is drawn and toggle() after the sidebar; pages ask
presenting(), and draw through intro(), secondary(), main_picture(), picture_scale() and chart_height(). Presenter mode
is a field of the app's view (?present=1), bound like every other; the same bar holds the page's Reset view.
"""
from __future__ import annotations

import contextlib
import math

import streamlit as st

from aelab.views.pages import AppView
from ui.common.view_state import Bound, kept_view, reset_view

PARAM = "present"
KEY = "present_mode"  # the toggle's widget key (in the sidebar, or at the page's bottom right while presenting)
MAIN_PICTURE_KEY = "main_picture"  # the container of a page's main picture (CSS class st-key-main_picture)
PICTURE_PX = 400  # a main picture's height while presenting: more than half a 1280x720 projector's height
GIF_MIN_PX = 336  # exported GIFs are at least this big on their longer side, presenting or not

_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
  { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 3.8rem 1.5rem 2rem 1.5rem !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.9rem; padding: 0 0 0.4rem 0; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li, [data-testid="stCaptionContainer"]
  { font-size: 1.12rem; }
[data-testid="stWidgetLabel"] p { font-size: 1.05rem; }
.st-key-present_exit { position: fixed !important; top: 0.55rem; right: 3.25rem; z-index: 999991; height: 2.6rem;
  width: auto !important; flex-wrap: nowrap !important; gap: 0.75rem; }
.st-key-present_exit button { min-height: 2rem; padding: 0.1rem 0.2rem; }
.st-key-present_exit p { font-size: 1rem !important; }
[data-testid="stTopNav"] { max-width: calc(100vw - 17.5rem) !important; padding-left: 0 !important; }
[data-testid="stTopNavLink"] > span:not([label]) { display: none !important; }
[data-testid="stTopNavLink"] { padding: 0 0.35rem !important; gap: 0 !important; }
[data-testid="stTopNavLink"] [data-testid="stMarkdownContainer"] p { font-size: 0.92rem !important; }
[data-testid="stAppDeployButton"] { display: none !important; }
</style>"""
# The Presenter switch and Reset view sit in the top bar, in a space kept for them at its right (the page links may
# take all but 17.5rem), so they never cover the page; the page starts right under the bar. The top bar shows every
# page's full name at 1280 px: the links lose their icons, their padding shrinks, the text is 0.92rem and the Deploy
# button (a local server's, not the class's) goes. With icons, all twelve need ~1,450 px and Streamlit folds the
# last four into a "4 more" menu; so, they need ~970 px of the ~1,000 kept for them.


def presenting() -> bool:
    return bool(kept_view(AppView).present)


def setup(app: Bound[AppView]) -> bool:
    """Take ?present= from a link (before st.set_page_config, which needs the sidebar's state). True while
    presenting."""
    app.value("present")
    return presenting()


def sidebar_state() -> str:
    return "collapsed" if presenting() else "auto"


def toggle(app: Bound[AppView], page_view: type | None) -> None:
    """The switch and the page's Reset view: in the sidebar, or, while presenting (the sidebar hidden), in a small
    bar of their own; and the page styles."""
    help_text = "For a projector: no sidebar, big pictures and text, secondary controls folded away."
    if presenting():
        st.html(_CSS)
        with st.container(key="present_exit", horizontal=True, vertical_alignment="center"):
            app.toggle("present", "Presenter", key=KEY)  # (short, and no help icon: it shares the top bar)
            _reset_button(page_view)
    else:
        _reset_button(page_view, where=st.sidebar)
        app.toggle("present", "Presenter mode", key=KEY, where=st.sidebar, help=help_text)


def _reset_button(page_view: type | None, where=st) -> None:
    """Reset view: the page's view back to its defaults (what a person set on it; the dataset and model stay)."""
    if page_view is None or not page_view.params():
        return
    where.button("Reset view", key="reset_view", on_click=reset_view, args=(page_view,), icon=":material/restart_alt:",
                 type="tertiary" if presenting() else "secondary",
                 help="Put this page's controls back to their defaults (the dataset and model stay).")


# ------------------------------------------------------------------------------------------------ for pages
def intro(text: str) -> None:
    """A page's introduction, left out while presenting (the teacher says it; the picture gets the room)."""
    if not presenting():
        st.markdown(text)


@contextlib.contextmanager
def secondary(label: str, *, expanded: bool = False):
    """Controls the view does not need at first: folded into an expander while presenting, drawn as they are
    otherwise. Their widgets run either way, so their values (and the URL) stay the same."""
    if presenting():
        with st.expander(label, expanded=expanded):
            yield
    else:
        with st.container():
            yield


@contextlib.contextmanager
def main_picture():
    """Where a page draws its main picture (the browser tests measure it)."""
    with st.container(key=MAIN_PICTURE_KEY):
        yield


def picture_first():
    """(where the main picture goes, where what the page shows before it goes): two containers in the page's order,
    the picture's first while presenting (the numbers and tables that lead into it otherwise come after it)."""
    first, second = st.container(), st.container()
    return (first, second) if presenting() else (second, first)


def picture_scale(normal: int, image_size, rows: int = 1, target_px: int = PICTURE_PX) -> int:
    """The whole-pixel enlargement of a picture `rows` images tall: `normal`, or while presenting one that makes it
    about target_px high."""
    if not presenting():
        return normal
    height = int(image_size[0]) * rows + 2 * (rows + 1)  # images and the grid's 2-pixel padding
    return max(normal, math.ceil(target_px / max(height, 1)))


def gif_scale(image_size) -> int:
    """Enlargement that makes each image of a GIF at least GIF_MIN_PX on its longer side (12 for 28x28 digits)."""
    return max(1, math.ceil(GIF_MIN_PX / max(int(s) for s in image_size)))


def chart_height(normal: int, presented: int = PICTURE_PX + 40) -> int:
    return presented if presenting() else normal
