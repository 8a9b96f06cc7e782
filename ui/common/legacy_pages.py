"""The one place that works around Streamlit's legacy pages/ discovery (checked on Streamlit 1.67.0).

Why it is needed: the page scripts live in pages/ because their file names are the URLs users share (/train,
/latent...), and app.py routes to them with st.navigation. Streamlit treats a pages/ folder beside the entrypoint as
a legacy (multipage v1) app until some session calls st.navigation ("As soon as any session of your app executes
the st.navigation command, your app will ignore the pages/ directory (across all sessions)", st.navigation's docs).
So when the first request of a fresh server is a deep link (/train?data=...), Streamlit runs pages/train.py alone:
no app.py, hence no sidebar, and a page list made from the file names.

Why there is no supported way: in 1.67.0 the switch is the class attribute PagesManager.uses_pages_directory, set
from the folder's existence when the first session starts and cleared only by st.navigation
(streamlit/runtime/pages_manager.py, commands/navigation.py, runtime/scriptrunner/script_runner.py `_mpa_v1`).
No config option turns it off: client.showSidebarNavigation only hides the menu, and hides app.py's too. Streamlit's
guidance for agents (streamlit/agent-skills, "building-streamlit-multipage-apps") is to name the folder app_pages/
instead; that would keep the URLs (they come from st.Page's file stems) but the folder is kept as it is, so this
module clears the flag.

Where it runs: every page script calls leave_legacy_mode() first, so the first page script a server process runs,
which is exactly the run that can be a legacy one, leaves it (app.py cannot do it: in that run app.py does not run
at all). Once cleared, the flag stays cleared for the process, since app.py calls st.navigation on every run.
AppTest resets the flag before every run, so tests install navigation_only_in_apptest() (tests/apptest_helpers.py).

To re-check on a new Streamlit: tests/e2e/test_shell.py (a deep link as a fresh server's first request) and
tests/app/test_shell.py (the version this was checked on) say whether it is still needed and still works.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

CHECKED_ON = "1.67.0"  # the Streamlit version whose source this module was read against


def _clear_flag() -> bool:
    """Turn legacy pages/ mode off for this process; True if it was on. A Streamlit without the flag (v1 removed)
    needs nothing."""
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        return True
    return False


def leave_legacy_mode() -> None:
    """If this script run is a legacy one (a page file run alone), leave legacy mode and rerun: the rerun keeps the
    URL's page (a page's hash comes from its URL path in both modes), so it lands on the same page, through app.py
    and its sidebar."""
    if _clear_flag():
        st.rerun()


def navigation_only_in_apptest() -> None:
    """For AppTest (Streamlit 1.67): it resets PagesManager.uses_pages_directory to None before every run, and the
    PagesManager it then builds sets it True because pages/ exists, so every run after the first would execute the
    current page file alone, skipping app.py and its sidebar. This clears the flag as each PagesManager is built, as
    a real server's first st.navigation call does for good."""
    original = PagesManager.__init__
    if getattr(original, "_navigation_only", False):
        return

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        _clear_flag()

    init._navigation_only = True
    PagesManager.__init__ = init
