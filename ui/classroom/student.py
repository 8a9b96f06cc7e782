"""The students' side of the class wall, on the Train page: one line saying that the teacher sees this server's
trainings (only on a server with a teacher key), and the display name the wall shows this browser under.

The name is kept per browser, server side, in the class roster (so a reload, a new session, finds it), and in the
Train page's view for the session (TrainView.display_name: never in a link). It is checked once where it enters
(aelab.runtime.roster.validate_name: plain text, at most 40 characters) and escaped wherever it is shown.
"""
from __future__ import annotations

import streamlit as st

from aelab.runtime.roster import MAX_NAME, DisplayNameError
from ui.classroom.access import browser_key, class_roster, has_teacher, me
from ui.common.text import plain
from ui.common.view_state import Bound


def draw_wall_notice(view: Bound) -> None:
    """The line and the name field (nothing on a server without a teacher key)."""
    if not has_teacher():
        return
    member = me()
    st.caption("Your teacher sees this server's trainings on a class wall: each one's settings, loss curve and "
               "pictures of the shared test images (never images you uploaded), under the name below.")
    typed = view.text_input("display_name", "Your name on the class wall (optional)", default=member.chosen or "",
                            key="class_display_name", placeholder=member.name,
                            help=f"Plain text, at most {MAX_NAME} characters; empty: {member.name}. It is never "
                                 "put in a link.")
    if " ".join(str(typed or "").split()) == (member.chosen or ""):
        return
    try:
        class_roster().set_name(browser_key(), typed or "")
    except DisplayNameError as err:
        st.error(plain(err), icon=":material/badge:")
