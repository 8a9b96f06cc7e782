"""The Latent page's models side by side: up to three other models' maps of the same test images, drawn by the
same WebGL map (ui/latent/map.py) and linked: a lasso on any map is the view's selection, which every map shows (the
rest dimmed); hovering an image on one map shows each map's model's reconstruction of it, where that image lies on
each map (the maps' frames tell each other in the browser). The chosen models are the view's (?cmp=)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.common import cache, present
from ui.common.selection import loadable, model_choices
from ui.common.session import session
from ui.common.view_state import Bound
from ui.latent.map import MapPoints, latent_map
from ui.latent.view import projection_for, test_codes, test_errors

MAX_COMPARED = 3


def compared_models(view: Bound, image_size: tuple[int, int]) -> dict[str, tuple[str, object]]:
    """The models chosen to sit beside the page's own: key -> (label, record), for those that load (one that does
    not is named and left out)."""
    choices = {key: label for label, key in model_choices(image_size).items() if key != session.model_key}
    keys = view.multiselect("compare", "Compare with (up to 3 more maps of the same images, linked)", list(choices),
                            key="latent_compare", format_func=choices.get, max_selections=MAX_COMPARED,
                            help="Each model's map of the same images. A lasso on any map selects them on all; "
                                 "hovering an image shows each model's reconstruction of it.")
    records, failed = loadable(keys)
    for key, reason in failed.items():
        st.warning(f"{key} is left out: it could not be loaded ({reason}).", icon=":material/broken_image:")
    return {key: (choices[key], record) for key, record in records.items()}


def compared_maps(view: Bound, compared: dict[str, tuple[str, object]], dataset, n: int, method: str, params: dict,
                  labels: np.ndarray, indices: np.ndarray) -> None:
    """The compared models' maps in one row under the page's columns, with the page's method (raw axes: each model's
    first two; a model with one latent dimension: PCA)."""
    if not compared:
        return
    st.subheader("Models side by side")
    st.caption("The same images on each model's map. Lasso on any map (the page's own above too): the images light "
               "up on all of them. Hover an image: each map shows its model's reconstruction of it, where it lies on "
               "that map.")
    columns = st.columns(max(2, len(compared)))  # (one compared map takes half the width, not all of it)
    for slot, (name, record) in enumerate(compared.values()):
        z = test_codes(cache.key(record, dataset), n, record, dataset)
        own_method = "pca" if method == "raw" and z.shape[1] < 2 else method
        own_params = {"dims": (0, 1)} if own_method == "raw" else (params if own_method == "umap" else {})
        with columns[slot]:
            st.markdown(f"**{name}**")
            projection = projection_for(own_method, own_params, z, record, dataset)
            points = MapPoints(projection.coords, labels, test_errors(cache.key(record, dataset), n, record, dataset),
                               indices, dataset.class_names, z)
            if not latent_map(view, record, dataset, projection, z, points, projection.axes,
                              present.chart_height(380, 320), key=f"latent_map_cmp{slot}", title=name, linked=True):
                st.caption("This model's map needs the WebGL map and live decoding.")
