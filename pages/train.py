"""Train: choose a variant and its knobs, train in the background, and watch the codes and reconstructions form.

The training is a job of the server's trainings lane (a stated number at once; each session one running and one
waiting, served in turn): it goes on while the user moves other widgets, visits other pages or reloads the tab (the
tab keeps its job id in its sessionStorage, never in the URL: ui.common.tab_job). Its computing runs in a warm
worker process (or on Ray: ui.train.lifecycle.training_work), which this page starts when it opens.
"""
import streamlit as st

from aelab.errors import AelabError
from aelab.views.pages import TrainView
from ui.classroom.student import draw_wall_notice
from ui.common.selection import current_dataset
from ui.common.view_state import open_view
from ui.train.form import build_request, draw_knobs, draw_variant_picker, knob_problem
from ui.train.lifecycle import current_job_id, training_executor
from ui.train.stepping import submit_training
from ui.train.view import draw_job, draw_job_list, draw_stale_link_notice

view = open_view(TrainView)  # the form: kept across pages, and in its link (never the save name)

st.title("Train an autoencoder")
training_executor()  # the first visit starts the warm worker while the knobs are set
dataset = current_dataset()
st.caption(f"On **{dataset.name}** ({len(dataset.x_train):,} training images of {dataset.image_size[0]}x"
           f"{dataset.image_size[1]} pixels; change it in the sidebar). Each knob's **?** says what it does to the "
           "latent space. The finished model is saved to your library and selected on every page.")
draw_wall_notice(view)  # a class server with a teacher key: the teacher sees trainings (ui/classroom/student.py)

settings, live = st.columns([2, 3], gap="large")
with settings:
    variant = draw_variant_picker(view)
    draw_knobs(view, variant, dataset)
    problem = knob_problem(view, variant, dataset)
    if problem:  # shown as soon as a value is entered; nothing can start until it is fixed
        st.error(problem, icon=":material/error:")
    if st.button("Start training", type="primary", key="start_training", icon=":material/play_arrow:",
                 disabled=problem is not None) and not problem:
        try:
            request = build_request(view, variant, dataset)
            submit_training(f"{request.save_name} ({variant.name})", request)
            st.rerun()  # the sidebar has the tab keep the new job at once (a reload during the run finds it)
        except AelabError as err:  # a bad or taken name, or this session has as many trainings as allowed: say why
            st.error(str(err), icon=":material/error:")

with live:
    draw_stale_link_notice()
    draw_job_list(current_job_id())
    if current_job_id():
        draw_job(current_job_id())
    else:
        st.info("Set the knobs and press **Start training**. Here you will see the loss fall epoch by epoch, the "
                "reconstructions of a few test images get sharper, and the codes of 600 test images (a 2-D view, "
                "coloured by class) sort themselves into clusters. Fewer training images or epochs make it quicker; a "
                "smaller batch size learns more per epoch.", icon=":material/school:")
