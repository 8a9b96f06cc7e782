"""Factors: images made from known causes (shape, scale, rotation, position); how much each latent dimension captures
each cause, scored with MIG, DCI and SAP, and how beta trades reconstruction for it."""
import streamlit as st

from aelab.views.pages import FactorsView
from ui import factors as view
from ui.common import present
from ui.common.selection import current_dataset, require_model
from ui.common.view_state import open_view

open_view(FactorsView)  # what this page shows: kept across pages, and in its link (its sections bind to it)

st.title("Known factors")
present.intro("Can a model find the true causes of its data by itself? On digits nobody knows the causes, so a "
            "traversal can only be eyeballed. Here every image is **rendered from five known factors**, so we can "
            "measure, for each latent dimension, how much it tells about each factor, and score the whole code: "
            "**MIG** (Chen et al. 2018), **DCI** (Eastwood and Williams 2018) and **SAP** (Kumar et al. 2018).")

dataset = current_dataset()
if dataset.factors is None:  # this page alone shows the shapes (the sidebar's dataset stays, and it says so)
    dataset, record = view.shapes_here(dataset)
else:
    record = require_model()
    view.check_model(record, dataset)
view.factor_examples(dataset)
view.information_section(record, dataset)
view.scores_section(record, dataset)
view.sweep_section(dataset)
