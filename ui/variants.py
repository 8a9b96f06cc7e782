"""The Generate page's sections for the discrete and the conditional variants: a VQ-VAE's codebook (usage, its
trackers over training, each code's picture, an image's grid of indices) and a conditional VAE's class grid and
style transfer. Each takes the records that fit the current data; the computing is in aelab.analysis.
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
import torch

from aelab.analysis.codebook import (
    bits_per_image,
    code_images,
    codebook_usage,
    grid_shape,
    index_grid,
    tracker_history,
)
from aelab.analysis.conditional import class_grid, style_transfer
from aelab.models.conditional import unbound
from ui.common import cache
from ui.common.pickers import pick_image
from ui.common.view_state import Bound
from ui.common.widgets import class_name, loss_figure, show_grid

VQ_NOT_SAMPLED = ("A VQ-VAE's code is a grid of codebook indices, not a point of a continuous space: there is no "
                  "slider to move along and no N(0, I) prior to sample from (the paper fits a PixelCNN over the "
                  "indices for that).")


@st.cache_data(show_spinner="Coding the test images...", max_entries=16)
def _usage(identity: str, _model, _x: torch.Tensor):
    return codebook_usage(_model, _x)


@st.cache_data(show_spinner=False, max_entries=16)
def _code_pictures(identity: str, _model) -> torch.Tensor:
    return code_images(_model)


def _pick_record(view: Bound, name: str, records: dict, key: str, title: str):
    labels = {k: f"{r.name} ({r.variant})" for k, r in records.items()}
    chosen = view.selectbox(name, title, list(records), key=key, default=next(iter(records)), format_func=labels.get)
    return records[chosen]


def usage_figure(counts: torch.Tensor) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(range(len(counts))), y=counts.tolist(), marker_color="#4c78a8"))
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="code",
                      yaxis_title="slots that chose it", bargap=0.05)
    return fig


def codebook_section(view: Bound, records: dict, dataset) -> None:
    """records: key -> ModelRecord of the VQ-VAEs that fit the data; view: the Generate page's."""
    st.header("Codebook (VQ-VAE)", divider="gray")
    if not records:
        st.info("No VQ-VAE fits this dataset: train the variant vq_vae on the Train page.")
        return
    record = _pick_record(view, "vq", records, "codebook_model", "VQ-VAE")
    model, config = record.model, record.model_config
    st.caption(f"{config.slots} slots, each one of K = {config.codebook_size} codes: {bits_per_image(config):.0f} "
               f"bits per image. {VQ_NOT_SAMPLED}")
    usage = _usage(cache.key(record, dataset), model, dataset.x_test)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Code usage on the {len(dataset.x_test):,} test images**")
        st.plotly_chart(usage_figure(usage.counts), key="codebook_usage")
        st.caption(f"Perplexity {usage.perplexity:.1f} of {config.codebook_size} (all codes equally used would "
                   f"give {config.codebook_size}); {usage.used} codes used, {usage.dead} dead.")
    with right:
        st.markdown("**Perplexity and dead codes over training**")
        trackers = tracker_history(record.history)
        if trackers["epoch"]:
            fig = loss_figure(record.history, ["perplexity", "dead_codes"], height=260)
            fig.update_layout(yaxis_title="codes")
            st.plotly_chart(fig, key="codebook_trackers")
            st.caption("Train: the mean over each epoch's batches; test: over the test images. A code unused for a "
                       "whole epoch is restarted at an encoder output, so dead codes come back.")
        else:
            st.caption("This model's history has no perplexity recorded.")
    st.markdown("**What each code decodes to** (every slot set to that code)")
    show_grid(_code_pictures(cache.key(record), model), ncol=16, scale=2)
    picked = pick_image(view, "vq_image", "codebook_pick", dataset, "An image and its code", allow_drawing=False)
    if picked is None:
        return
    grid = index_grid(model, picked.x)
    with torch.no_grad():
        recon = model.decode_indices(grid.reshape(1, -1)).clamp(0, 1)
    image_col, code_col = st.columns([1, 2])
    with image_col:
        show_grid(torch.cat([picked.x, recon]), ncol=2, scale=4, caption=f"{picked.description} and its decoding")
    with code_col:
        rows, cols = grid_shape(config.slots)
        st.dataframe(grid.numpy(), key="codebook_indices", hide_index=True)
        st.caption(f"Its code: {rows} x {cols} indices into the codebook (the slots are the code's, not places in "
                   "the image).")


def conditional_section(view: Bound, records: dict, dataset) -> None:
    """records: key -> ModelRecord of the conditional models that fit the data (bound to the sidebar's class);
    view: the Generate page's."""
    st.header("Conditional VAE", divider="gray")
    if not records:
        st.info("No conditional VAE fits this dataset: train the variant cvae on the Train page.")
        return
    record = _pick_record(view, "cvae", records, "cvae_model", "Conditional VAE")
    model = unbound(record.model)
    n_classes = model.config.n_classes
    st.markdown("The label is given to encoder and decoder, so the code need not say which digit it is: it keeps "
                "the **style**. Rows are classes; each column is one code z ~ N(0, I), the same in every row.")
    left, right = st.columns(2)
    n_codes = view.slider("cvae_codes", "Codes (columns)", 2, 12, where=left, key="cvae_codes")
    seed = view.number_input("cvae_seed", "Seed of the codes", 0, 2**31 - 1, where=right, key="cvae_seed", step=1)
    names = ", ".join(class_name(dataset.class_names, c) for c in range(n_classes))
    show_grid(class_grid(model, n_codes, 1.0, int(seed)), ncol=n_codes, scale=2,
              caption=f"Rows, top to bottom: {names}.")
    st.subheader("Style transfer")
    picked = pick_image(view, "cvae_image", "cvae_style", dataset, "Encode this image with its own label",
                        allow_drawing=False)
    if picked is None or picked.index is None:
        return
    label = int(dataset.y_test[picked.index])
    if not 0 <= label < n_classes:
        st.warning(f"{picked.description} has no label this model knows: pick a labelled image.")
        return
    with st.container(key="cvae_style_row"):
        show_grid(torch.cat([picked.x, style_transfer(model, picked.x, label)]), ncol=n_classes + 1, scale=3,
                  caption=f"{picked.description}, then its code decoded as each class ({names}).")
