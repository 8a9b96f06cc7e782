"""aelab: see and teach what autoencoders learn. Run with `./run.sh app` (or `streamlit run app.py`)."""
import streamlit as st

from ui.common.sidebar import render_sidebar

st.set_page_config(page_title="aelab: what autoencoders learn", page_icon=":material/blur_on:", layout="wide")

# One line per page; each file in pages/ is thin UI over the aelab package.
PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:"),
    st.Page("pages/traverse.py", title="Traverse", icon=":material/tune:"),
    st.Page("pages/interpolate.py", title="Interpolate", icon=":material/linear_scale:"),
    st.Page("pages/generate.py", title="Generate", icon=":material/casino:"),
    st.Page("pages/restore.py", title="Denoise and inpaint", icon=":material/healing:"),
    st.Page("pages/anomalies.py", title="Anomalies", icon=":material/report:"),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("pages/playground.py", title="Playground", icon=":material/grain:"),
    st.Page("pages/factors.py", title="Known factors", icon=":material/category:"),
]

navigation = st.navigation(PAGES)
render_sidebar()
navigation.run()
