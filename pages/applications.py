"""Applications: what autoencoders are for, on the bundled data with shipped models: compression against JPEG and
WebP, super-resolution, watermark removal, and memorisation with a 1-D code."""
import streamlit as st

from aelab.views.pages import ApplicationsView
from ui import applications as sections
from ui.common import present
from ui.common.view_state import open_view

open_view(ApplicationsView)  # what this page shows: kept across pages, and in its link (its sections bind to it)

st.title("Applications")
present.intro("What autoencoders are good for, and where they fail, measured on the bundled data with shipped models "
              "(trained on mnist-5k; this page ignores the sidebar's dataset and model).")
section = sections.section_picker()
if section == "compression":
    sections.compression_section()
elif section == "superres":
    sections.superres_section()
elif section == "watermark":
    sections.watermark_section()
else:
    sections.memorisation_section()
