"""Applications: what autoencoders are for, on the bundled data with shipped models: compression against JPEG and
WebP, super-resolution, watermark removal, and memorisation with a 1-D code."""
import streamlit as st

from ui import applications as view
from ui.common.legacy_pages import leave_legacy_mode

leave_legacy_mode()  # a deep link to a fresh server runs this file alone: go through app.py

st.title("Applications")
st.markdown("What autoencoders are good for, and where they fail, measured on the bundled data with shipped models "
            "(trained on mnist-5k; this page ignores the sidebar's dataset and model).")
section = view.section_picker()
if section == "compression":
    view.compression_section()
elif section == "superres":
    view.superres_section()
elif section == "watermark":
    view.watermark_section()
else:
    view.memorisation_section()
