"""Save as a lesson file, and open one: two small controls on Traverse, Interpolate, Generate and Latent space.

Save writes aelab.export.lesson's file of the page's view (the page's Bound view), with the page's model and data,
after the teacher edits its title and caption (they start as the CLI's, so an unedited file is the CLI's file). A file
that would carry an upload's images, or a decoder trained on one, is saved only after the page says so and the
person ticks that they understand. The file is downloaded (st.download_button: built when clicked, sent with
Content-Disposition: attachment as application/octet-stream), never served for a browser to open from the app's
origin. The model is the page's record, one this session can see: a private or unsaved model reaches a file only
through its owner's session, as with the sidebar's "Download as ONNX".

Open reads a lesson file's view back (aelab.export.lesson.read_lesson_view: a small JSON block; nothing in the file is
run) and opens it as a link is opened (ui.common.view_state.open_link): each value checked when its control is
bound, a bad one said in a line; its dataset and model only if this browser can see them (the sidebar refuses the
others as it refuses a link's). A lesson of another of the four pages opens on that page.
"""
from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from aelab.export.lesson import MAX_CAPTION, MAX_TITLE, PAGES, build_lesson, private_data, read_lesson_view
from aelab.export.lesson_specs import LessonError, default_text
from aelab.views.base import query_text
from aelab.views.pages import AppView
from ui.common import present
from ui.common.session import session
from ui.common.text import plain
from ui.common.view_state import Bound, kept_view, open_link, page_state

MAX_UPLOAD_MB = 64  # a lesson file is under 10 MB; only its first kilobytes are read
_OPENED_KEY = "lesson_file_opened"  # page -> the line said after a lesson file was opened
_SWITCH_KEY = "lesson_file_switch"  # the page a lesson file of another page opens on


def lesson_controls(page: str, bound: Bound, record, dataset, model_key: str | None = None) -> None:
    """The two controls, side by side; model_key: how the app names record (default: the sidebar's model)."""
    if present.presenting():  # a projector shows the lesson, not its saving
        return
    switch = st.session_state.pop(_SWITCH_KEY, None)
    if switch is not None and switch != page:
        st.switch_page(f"pages/{switch}.py")
    save_col, open_col, _ = st.columns([1, 1, 2])
    with save_col.popover("Save as a lesson file", icon=":material/download:", width="stretch"):
        _save(page, bound, record, dataset, model_key or session.model_key)
    with open_col.popover("Open a lesson file", icon=":material/upload_file:", width="stretch"):
        _open(page)
    opened = st.session_state.get(_OPENED_KEY, {}).pop(page, None)
    if opened:
        st.info(opened, icon=":material/school:")


# --------------------------------------------------------------------------------------------------- saving
def _starting_text(key: str, default: str) -> None:
    """Start a text box at default, and follow a new default (another model) until the person edits it."""
    said = f"{key}_default"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(said):
        st.session_state[key] = default
    st.session_state[said] = default


def _save(page: str, bound: Bound, record, dataset, model_key: str | None) -> None:
    st.caption("One HTML file that opens in any browser, offline, with nothing installed, and decodes live as "
               "this page does: for a course page, a classroom PC, or home.")
    title_default, caption_default = default_text(page, record)
    _starting_text(f"lesson_{page}_title", title_default)
    _starting_text(f"lesson_{page}_caption", caption_default)
    title = st.text_input("Title", key=f"lesson_{page}_title", max_chars=MAX_TITLE)
    caption = st.text_area("Caption", key=f"lesson_{page}_caption", max_chars=MAX_CAPTION, height=90)
    private = private_data(record, dataset)
    allowed = True
    if private:
        st.warning(f"This file would carry {plain(private)}. Anyone who opens it sees them, and a shared file "
                   "cannot be taken back.", icon=":material/privacy_tip:")
        allowed = st.checkbox("I understand: save it anyway", key=f"lesson_{page}_private_ok")
    blocked = _blocked(page, bound.view)
    if blocked:
        st.caption(blocked)
    # The views as they are when the button is clicked: a value released later in this run (a live slider let go)
    # changes the page's kept view after this button is drawn, and the file must hold it.
    page_kept, app_kept = page_state(bound.cls), page_state(AppView)

    def build() -> bytes:
        try:
            return build_lesson(page, page_kept.view, record, dataset, model_key=model_key,
                                data_key=app_kept.view.data, title=title, caption=caption)
        except LessonError as err:  # the file says why instead of failing silently (the view was checked already)
            return (f"<!doctype html><meta charset='utf-8'><title>No lesson</title><p>This lesson could not be "
                    f"saved: {html.escape(str(err))}</p>").encode()

    st.download_button("Save", build, file_name=f"{page}-{record.name}.html", mime="application/octet-stream",
                       key=f"lesson_{page}_save", on_click="ignore", icon=":material/download:",
                       disabled=not allowed or blocked is not None,
                       type="primary", help="Its view, the model's decoder (ONNX) and the in-browser runtime in one "
                                           "file of a few megabytes.")


def _blocked(page: str, view) -> str | None:
    """Why this page's view has no lesson file (None: it has one)."""
    if page == "latent" and view.map == "umap":
        return "A lesson file's plane decodes where the mouse is: it needs the PCA map or two latent dimensions " \
               "(UMAP has no inverse)."
    return None


# --------------------------------------------------------------------------------------------------- opening
def _open(page: str) -> None:
    st.caption("A lesson file saved from this app opens its view here again, when its model is one you can see.")
    st.file_uploader("Lesson file (.html)", type=["html", "htm"], key=f"lesson_{page}_upload",
                     max_upload_size=MAX_UPLOAD_MB, on_change=_opened, args=(page,))


def _opened(page: str) -> None:
    """The uploader's callback: open the file's view (on its own page), and say what happened."""
    upload = st.session_state.get(f"lesson_{page}_upload")
    if upload is None:
        return
    said = st.session_state.setdefault(_OPENED_KEY, {})
    try:
        lesson = read_lesson_view(upload.getvalue())
    except LessonError as err:
        said[page] = f"{upload.name[:60]}: {err}"
        return
    kept = kept_view(AppView)
    app_text = urlencode([(name, raw) for name, raw in parse_qsl(lesson.app) if name in ("data", "model")])
    keep = query_text(AppView(label=kept.label, present=kept.present))  # the sidebar's class and presenter mode
    open_link(AppView, "&".join(text for text in (app_text, keep) if text))
    unknown = open_link(PAGES[lesson.page], lesson.view)
    said[lesson.page] = (f"Opened the lesson “{plain(lesson.title[:120])}”."
                         + (f" Left out: {plain('; '.join(unknown)[:200])}." if unknown else ""))
    if lesson.page != page:
        st.session_state[_SWITCH_KEY] = lesson.page
