"""Class: the teacher's wall of every student's training, live (unlisted; only the teacher key opens it).

Anyone without the key sees the password field and nothing else (ui/classroom/access.py); the wall itself is
ui/classroom/wall.py.
"""
import streamlit as st

from aelab.views.pages import ClassView
from ui.classroom.access import draw_unlock, keep_in_browser, unlocked
from ui.common.view_state import open_view

view = open_view(ClassView)  # sort and variant filter in the link; nothing about a student ever is

st.title("Class")
if unlocked():
    from ui.classroom.wall import draw_wall

    draw_wall(view)
else:
    draw_unlock()
keep_in_browser()  # the token kept in (or removed from) this browser's cookie
