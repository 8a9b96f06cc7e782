"""Latent Space: the encoded test images as a map (PCA, UMAP or two raw dimensions): a WebGL map that decodes the
point under the cursor in the browser (ui/latent/map.py), or the Plotly map where it cannot run; select points to see
them and their reconstructions; draw a digit and see where it lands; on the Plotly map, for 2-latent models the
decoded plane under the map, and a live plane beside it that decodes wherever the mouse hovers."""
import numpy as np
import streamlit as st
import torch

from aelab.analysis.latent import encode_dataset
from aelab.analysis.maps import coordinates_csv, transform_new
from aelab.views.pages import LatentView
from aelab.views.values import Selection, SelectionCodec
from ui.common import cache, drawing_canvas, present
from ui.common.lesson_file import lesson_controls
from ui.common.pickers import drawn_input
from ui.common.selection import current_dataset, require_model
from ui.common.view_state import open_view
from ui.latent.attributes import attribute_section
from ui.latent.compare import compared_maps, compared_models
from ui.latent.figures import CHART_CONFIG, Mark, scatter_figure, ui_revision
from ui.latent.live import live_plane
from ui.latent.map import MapPoints, browser_has_webgl, fallback_reason, latent_map
from ui.latent.sections import selection_from, show_drawn, show_plane_click, show_selection, vae_diagnostics
from ui.latent.view import (
    SPLITS,
    kl_dims,
    map_controls,
    map_dataset,
    plane_controls,
    projection_for,
    test_codes,
    test_errors,
)

view = open_view(LatentView)  # what this page shows: kept across pages, and in its link
st.title("Latent space")
present.intro("Each dot is a test image, placed by its **code** (what the encoder keeps). Similar codes sit together: "
              "see which digits the model confuses, what lies between clusters, and where your own digit lands.")
dataset = current_dataset()
record = require_model()
identity = cache.key(record, dataset)
latent_dim = record.model_config.latent_dim
n_test = len(dataset.x_test)

left, right = st.columns([3, 2], gap="large")
side_by_side = st.container()  # under both columns: the compared models' maps get the page's whole width
with right:  # drawn first in the script (the map needs the drawing), shown on the right
    st.subheader("Draw a digit")
    size = tuple(dataset.image_size)
    kept = view.value("digit", check=lambda d: None if (d.height, d.width) == size else "is a drawing of another size")
    digit = drawn_input("canvas", dataset, drawing_canvas, kept)
    view.put("digit", digit)
    view.show("digit")
    drawn_box = st.container()  # everything whose element count changes goes after the canvas, in here
x_in = None if digit is None else torch.from_numpy(digit.to_array())[None, None].float()

with left:
    with present.secondary("Map and points"):  # presenting, folded away: the map comes first
        if len(dataset.x_train):
            split = view.radio("split", "Which images", list(SPLITS), key="latent_split", format_func=SPLITS.get,
                               horizontal=True, help="Every image of the dataset on one map: the test images, then "
                                                     "the training images")
            dataset = map_dataset(dataset, split)
            identity, n_test = cache.key(record, dataset), len(dataset.x_test)
        choices = sorted({n for n in (250, 500, 1000, 2000, 5000, 10000, 20000, 50000) if n < n_test} | {n_test})
        n = view.select_slider("points", "Images on the map", choices, key="latent_points",
                               default=min(n_test, 5000),
                               help="The first n images (the test images, then any training images)") \
            if len(choices) > 1 else n_test
        z = test_codes(identity, n, record, dataset)
        labels, indices = dataset.y_test[:n].numpy(), np.arange(n)
        kl = kl_dims(identity, n, record, dataset)
        method, params = map_controls(view, latent_dim, z, kl)
        compare = compared_models(view, tuple(dataset.x_test.shape[-2:]))
    lesson_controls("latent", view, record, dataset)  # (after the map is bound: UMAP has none; none while presenting)
    try:
        projection = projection_for(method, params, z, record, dataset)
    except ValueError as err:
        st.error(str(err))
        st.stop()
    coords, to_plot, plane = projection.coords, (lambda xy: xy), None
    manifold = plane_grid = None
    webgl_off = fallback_reason(record, projection)  # None: the WebGL map, which decodes under the cursor itself
    if latent_dim == 2 and method == "raw" and webgl_off:  # the whole latent plane: decoded images under it
        plane, manifold, plane_grid = plane_controls(view, record, coords, params["dims"])
        to_plot = plane.to_plot
    marks, placement, z_in = [], None, None
    if x_in is not None:
        z_in = encode_dataset(record.model, x_in).numpy()
        position, exact = transform_new(projection, z, z_in)
        marks.append(Mark(*to_plot(position)[0].tolist(), "your digit"))
        if not exact:
            placement = ("This UMAP map was precomputed (no fitted UMAP in this server yet), so your digit is placed "
                         "at the distance-weighted mean of its 5 nearest codes' positions, which is how UMAP itself "
                         "starts placing a new point. PCA and the raw axes place it exactly.")
    titles = plane.titles() if plane else projection.axes  # PC1/PC2, UMAP-1/UMAP-2 or the raw axes z1..zd
    # The selection is the view's (it survives other pages, a drawn digit, links): the map shows it, and a new one
    # made on the map replaces it. A redrawn Plotly chart (another map, a digit's mark) starts with no selection of
    # its own, which is not the person clearing theirs.
    view.value("selection", check=lambda s: (
        f"was made on {s.dataset}, not on {dataset.name}" if s.dataset != dataset.name
        else None if max(s.indices) < n_test else f"names images past the {n_test:,} on the map"),
        fallback_text="no selection")
    points = MapPoints(coords, labels, test_errors(identity, n, record, dataset), indices, dataset.class_names, z)
    webgl = webgl_off is None and latent_map(view, record, dataset, projection, z, points, titles,
                                             present.chart_height(560, 470), tuple(marks), linked=bool(compare))
    if webgl:  # other models' maps of the same images, linked to this one
        with side_by_side:
            compared_maps(view, compare, dataset, n, method, params, labels, indices)
    selection = view.view.selection  # (a lasso on the WebGL map has just replaced it)
    selected = [i for i in selection.indices if i < n] if selection else []
    plane_click = None
    if not webgl:
        if webgl_off:
            st.caption(f"The WebGL map is off ({webgl_off}): this is the Plotly map.")
        revision = ui_revision(identity, method, params, plane)
        figure = scatter_figure(to_plot(coords), labels, indices, dataset.class_names, titles, manifold=manifold,
                                revision=revision, plane_grid=plane_grid, marks=marks, selected=selected,
                                height=present.chart_height(560, 470), webgl=browser_has_webgl())
        with present.main_picture():
            event = st.plotly_chart(figure.figure, key="scatter", on_select="rerun",
                                    selection_mode=("points", "box", "lasso"), config=CHART_CONFIG, width="stretch")
        chosen, plane_click = selection_from(event, figure.grid_curve)
        chart = ui_revision(revision, n, [(m.x, m.y) for m in marks], selected, manifold is not None)
        if view.event("scatter", chart, tuple(chosen)):  # the person selected on this very chart
            view.put("selection", Selection(dataset.name, tuple(int(i) for i in chosen)) if chosen else None)
            st.rerun()  # the chart as the view now says (the next selection is made on that chart)
        st.caption("Click a point, or pick **Box Select** / **Lasso Select** in the chart's toolbar and drag. Click a "
                   "label in the legend to hide it. The camera icon in the toolbar saves the chart as a PNG."
                   + (" Click anywhere on the plane to decode that point." if plane else ""))
    view.show("selection")
    if selected and st.button("Clear the selection", key="latent_clear_selection", icon=":material/deselect:"):
        view.put("selection", None)
        st.rerun()
    kept_selection = view.view.selection
    if kept_selection is not None and SelectionCodec().format(kept_selection) is None:
        st.caption(f"This selection of {len(kept_selection.indices):,} scattered images is too long to travel in a "
                   "link (a link stays under 2,000 characters): the address carries the rest of the view, not it.")
    if projection.params.get("shipped"):
        st.caption("UMAP precomputed when this model was built (umap-learn, same parameters, seed 0).")
    csv = coordinates_csv(indices, labels, coords, z, dataset.class_names, axes=projection.axes)
    st.download_button("Download coordinates (CSV)", csv, file_name=f"latent_{record.name}_{method}.csv",
                       mime="text/csv", key="download_csv",
                       help="index, label, the map's two coordinates and the full code z1..zd")
    if not webgl:  # (the WebGL map decodes under the cursor itself)
        live_plane(view, record, projection, z, labels, titles)
    with st.container():
        if selected:
            show_selection(selected, z, dataset, record)
        elif plane_click is not None:
            show_plane_click(record, plane_click, plane)

if z_in is not None:
    with drawn_box:
        show_drawn(x_in, z_in, z, test_errors(identity, n, record, dataset), dataset, record, placement)

attribute_section(view, record, dataset, z, labels, z_in)
vae_diagnostics(kl, record)
