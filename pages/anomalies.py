"""Anomalies: an autoencoder reconstructs only what it has seen, so its reconstruction error flags inputs unlike
its training data. Histograms of the error on the test split against out-of-distribution sets, ROC AUC, and the
most and least typical test images."""
import streamlit as st

from aelab.views.pages import AnomaliesView
from ui.anomalies import (
    TEST,
    auc_table,
    describe,
    histogram_figure,
    ood_options,
    report_for,
    roc_figure,
    typical_rows,
)
from ui.common import present
from ui.common.selection import current_dataset, require_model
from ui.common.view_state import open_view
from ui.common.widgets import show_rows

view = open_view(AnomaliesView)  # what this page shows: kept across pages, and in its link

st.title("Anomalies: it reconstructs only what it has seen")
present.intro("An autoencoder is trained to rebuild its training images through a small code. Shown something "
            "unlike them, it rebuilds the nearest thing it knows, so the **reconstruction error** is large: a "
            "score for *how unusual is this image?* Compare the test split with inputs from elsewhere.")
dataset = current_dataset()
record = require_model()

options = ood_options(dataset)
# One selection per dataset: the other datasets on offer differ from one dataset to the next.
with present.secondary("Out-of-distribution sets"):
    chosen = view.multiselect("sets", "Out-of-distribution sets", options, key="anomaly_sets", default=tuple(options),
                              help="; ".join(f"{name}: {describe(name)}" for name in options))
if not chosen:
    st.info("Choose at least one out-of-distribution set to compare with the test split.")
    st.stop()

report = report_for(record, dataset, chosen)
errors, auc = report["errors"], report["auc"]
if not present.presenting():
    st.caption(f"Model **{record.name}** ({record.variant}) on **{dataset.name}**: {len(errors[TEST]):,} test "
               "images; " + "; ".join(f"{name}: {describe(name)}" for name in chosen) + ".")

left, right = st.columns([3, 2], gap="large")
with left:
    log_scale = view.toggle("log", "Logarithmic error axis", key="anomaly_log",
                            help="The errors of different sets differ by orders of magnitude.")
    with present.main_picture():
        st.plotly_chart(histogram_figure(errors, log_scale, present.chart_height(380)), key="anomaly_histogram")
with right:
    percentile = view.slider("percentile", "Flag images above this percentile of the test errors", 50.0, 99.9,
                             key="anomaly_percentile", step=0.5,
                             help="A threshold on the error: the share of each set it flags as unusual.")
    table = auc_table(errors, auc, percentile)
    st.table(table.style.format({"ROC AUC": "{:.3f}", "median error": "{:.4f}", "flagged": "{:.1%}"}, na_rep="—"))
    st.caption("**ROC AUC**: the chance that an image of the set has a larger error than a test image. 1: the "
               "error separates them perfectly; 0.5: no better than a coin; below 0.5: the set is reconstructed "
               "*better* than the test digits, as smooth, simple images often are. A small error does not prove "
               "an image is typical: a model can be good at images it never saw.")

with st.expander("ROC curves"):
    st.plotly_chart(roc_figure(errors, auc), key="anomaly_roc")

st.subheader("The most and least typical test images")
k = view.slider("k", "Images", 4, 16, key="anomaly_k")
extremes = typical_rows(errors[TEST], dataset.x_test, record.model, k)
for which, title in (("least", "Smallest error: what the model finds most typical"),
                     ("most", "Largest error: the test images it finds least typical")):
    st.markdown(f"**{title}** (errors {', '.join(f'{e:.4f}' for e in extremes[which]['errors'].tolist())})")
    show_rows({"image": extremes[which]["images"], "rebuilt": extremes[which]["reconstructions"]}, scale=2)

with st.expander("What the model makes of each out-of-distribution set"):
    for name in chosen:
        images, rebuilt = report["examples"][name]
        st.markdown(f"**{name}**: median error {float(table.loc[name, 'median error']):.4f}")
        show_rows({"image": images, "rebuilt": rebuilt}, scale=2)
