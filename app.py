"""aelab: see and teach what autoencoders learn. Run with `./run.sh app` (or `streamlit run app.py`)."""
import streamlit as st

from aelab.views.pages import VIEWS_BY_SCOPE
from ui.common import present, process
from ui.common.errors import run_page
from ui.common.sidebar import app_view, render_sidebar, show_link_messages
from ui.common.warmup import import_warmup
from ui.components import live_decoder
from ui.components.history import one_entry_per_page_visit

process.set_up()  # torch's threads once torch is loaded (ui/common/process.py)
app = app_view()  # the sidebar's dataset, model and presenter mode: the kept view, or a link's (view_state.py)
presenting = present.setup(app)  # ?present=1: no sidebar, big pictures (ui/common/present.py)
# An emoji icon: Streamlit draws it inline (a ":material/...:" page icon is fetched from fonts.gstatic.com)
st.set_page_config(page_title="aelab: what autoencoders learn", page_icon="🌀", layout="wide",
                   initial_sidebar_state=present.sidebar_state())

# The pages with a live decoder (ui/components/live_decoder): the browser starts its runtime as their run begins. (A
# page's own call came after the sidebar's pickers, and the component files it fetches wait for the server's script
# to let go of the GIL: measured, the runtime then began compiling as the page settled, 0.2-0.5 s before its frame.)
LIVE_PAGES = {"latent", "traverse", "interpolate", "generate", "train"}
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
    st.Page("pages/applications.py", title="Applications", icon=":material/apps:"),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("pages/playground.py", title="Playground", icon=":material/grain:"),
    st.Page("pages/factors.py", title="Known factors", icon=":material/category:"),
    st.Page("pages/class.py", title="Class", icon=":material/groups:", visibility="hidden"),  # the teacher's, by URL
]

navigation = st.navigation(PAGES, position="top" if presenting else "sidebar")
one_entry_per_page_visit()  # the browser's Back and Forward step between page visits, not slider steps
if navigation.url_path in LIVE_PAGES:  # first: the browser compiles the runtime while the sidebar and page compute
    live_decoder.preload_runtime()
render_sidebar(app)  # drawn while presenting too (hidden): its pickers keep the dataset and model chosen
present.toggle(app, VIEWS_BY_SCOPE.get(navigation.url_path or "home"))  # with the page's Reset view
show_link_messages(app)  # a link's dataset or model that is not here: one lasting line above the page
run_page(navigation.run)  # an unexpected error: one line and an id, the traceback in the server's log
import_warmup()  # once per process, after its first page: what later pages import lazily (ui/common/warmup.py)
