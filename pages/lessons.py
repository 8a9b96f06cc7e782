"""Lessons: the classic facts, live. PCA and k-means are autoencoders; how big the code should be; what an
over-complete code does; what the first layer learns; what beta trades. One section is drawn at a time
(ui/lessons/*.py)."""
import streamlit as st

from aelab.views.pages import LessonsView
from ui.common import present
from ui.common.selection import current_dataset
from ui.common.view_state import open_view
from ui.lessons import bottleneck as lessons_bottleneck
from ui.lessons import copying as lessons_copy
from ui.lessons import kmeans as lessons_kmeans
from ui.lessons import pca as lessons_pca
from ui.lessons import rate as lessons_rate
from ui.lessons import weights as lessons_weights
from ui.lessons.common import section_picker

view = open_view(LessonsView)  # what this page shows: kept across pages, and in its link

RENDERERS = {"pca": lessons_pca.render, "kmeans": lessons_kmeans.render, "bottleneck": lessons_bottleneck.render,
             "copy": lessons_copy.render, "weights": lessons_weights.render, "rate": lessons_rate.render}

if not present.presenting():  # presenting, a lesson's link opens straight into the lesson
    st.title("Lessons")
    st.markdown("Classic facts about autoencoders, each shown live on the current dataset with its formula. Pick a "
                "lesson; trained or computed results stay here while you switch.")
dataset = current_dataset()
section = section_picker(view)
RENDERERS[section](view, dataset)
