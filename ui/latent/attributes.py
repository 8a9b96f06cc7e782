"""The Latent page's attribute vectors: two groups of images (two labels, or two sets lassoed on the map), the
difference of their mean codes as a direction (aelab.analysis.attributes), and a slider that moves an image, or the
drawn digit, along it, decoded in the browser while it is dragged (the live decoder's scrub view: code = (1 - t) z +
t (z + v) = z + t v), with a strip of the same moves decoded on the server below it (what a projector shows at once,
and what a browser without live decoding sees). Groups, the image, and alpha are the Latent view's fields."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aelab.analysis.attributes import ALPHA_RANGE, along, attribute_vector
from aelab.analysis.latent import decode
from aelab.views.values import Selection
from ui.common import present
from ui.common.view_state import Bound
from ui.common.widgets import class_name, show_grid
from ui.components import live_decoder as live

KEY = "latent_attribute_live"
GROUPINGS = {"labels": "Two labels", "sets": "Two sets lassoed on the map"}
STRIP = (-1.0, 0.0, 0.5, 1.0, 1.5, 2.0)  # the alphas of the strip


def _groups(view: Bound, dataset, labels: np.ndarray, n: int):
    """(members of A, members of B, their names), or None when the groups are not chosen yet (the page says how)."""
    grouping = view.radio("groups", "Groups", list(GROUPINGS), key="latent_attr_groups", format_func=GROUPINGS.get,
                          horizontal=True)
    if grouping == "labels":
        present_labels = sorted(int(v) for v in set(labels.tolist()) if v >= 0)
        if len(present_labels) < 2:
            st.info("These images carry fewer than two labels: lasso two sets on the map instead.")
            return None
        name = lambda v: class_name(dataset.class_names, v)  # noqa: E731
        left, right = st.columns(2)
        a = view.selectbox("label_a", "Group A: label", present_labels, key="latent_attr_la", default=present_labels[0],
                           format_func=name, where=left)
        b = view.selectbox("label_b", "Group B: label", present_labels, key="latent_attr_lb", default=present_labels[1],
                           format_func=name, where=right)
        return np.flatnonzero(labels == a), np.flatnonzero(labels == b), (name(a), name(b))
    selection = view.view.selection
    chosen = tuple(i for i in selection.indices if i < n) if selection and selection.dataset == dataset.name else ()
    kept = {}
    for side, column in zip("ab", st.columns(2)):
        field = f"set_{side}"
        kept[side] = view.value(field, check=lambda s: None if s.dataset == dataset.name and max(s.indices) < n
                                else "names images not on this map", fallback_text="no set")
        with column:
            if st.button(f"Group {side.upper()} = the selection ({len(chosen)})", key=f"latent_attr_take_{side}",
                         disabled=not chosen, icon=":material/library_add:"):
                view.put(field, Selection(dataset.name, chosen))
                st.rerun()
            st.caption(f"Group {side.upper()}: " + (f"{len(kept[side].indices):,} images" if kept[side] else "empty"))
            view.show(field)
    if not (kept["a"] and kept["b"]):
        st.info("Lasso a group on the map (thick ones, slanted ones...) and press **Group A = the selection**; then "
                "another group for B.")
        return None
    return np.asarray(kept["a"].indices), np.asarray(kept["b"].indices), ("set A", "set B")


def attribute_section(view: Bound, record, dataset, z: np.ndarray, labels: np.ndarray,
                      z_digit: np.ndarray | None) -> None:
    """The section (z: the map's codes, labels theirs; z_digit: the drawn digit's code, if one is drawn)."""
    st.subheader("Attribute vectors")
    st.caption("Take two groups of images: the difference of their mean codes is a direction in the latent space "
               "(mean B - mean A). Move any image along it and decode: arithmetic in the latent space.")
    chosen = _groups(view, dataset, labels, len(z))
    if chosen is None:
        return
    members_a, members_b, (name_a, name_b) = chosen
    try:
        vector = attribute_vector(z, members_a, members_b)
    except ValueError as err:
        st.warning(f"No attribute vector: {err}.")
        return
    st.caption(f"v = mean code of {name_b} ({vector.n_b:,}) - mean code of {name_a} ({vector.n_a:,}); |v| = "
               f"{np.linalg.norm(vector.direction):.2f}; along v the two groups lie {vector.separation:.1f} standard "
               "deviations apart.")
    use_digit = z_digit is not None and st.toggle("Move your drawn digit", value=True, key="latent_attr_digit")
    if use_digit:
        code, what = z_digit.reshape(-1), "your digit"
    else:
        index = view.number_input("apply_to", "Image to move (index on the map)", 0, len(z) - 1, step=1,
                                  key="latent_attr_image", default=int(members_a[0]))
        code, what = z[index], f"image #{index}"
    low, high = ALPHA_RANGE
    alpha_value = view.value("alpha", low=low, high=high, fallback_text="alpha = 1")
    reason = live.unavailable_reason(record)
    if reason is None:
        model = live.live_model(record)
        released = live.released(KEY, model)
        if released and isinstance(released.get("t"), (int, float)):
            view.set(alpha=round(min(max(float(released["t"]), low), high), 3))
            alpha_value = view.view.alpha
        spec = {"anchors": [code.tolist(), (code + vector.direction).tolist()], "t": alpha_value, "low": low,
                "high": high, "label": f"alpha: {what} moved along {name_a} -> {name_b}",
                "caption": "z + alpha v: the picture follows alpha as you drag (0: as it is; 1: one whole v)"}
        with st.container(key="latent_attribute_box"):
            live.live_decoder(KEY, "scrub", spec, model,
                              scale=live.display_scale(model.image_size, present.chart_height(live.DISPLAY_PX)))
        st.caption(f"Where you let go: alpha = {alpha_value:.2f}, kept in the page's link.")
    else:
        live.notice(reason)
    strip = decode(record.model, torch.from_numpy(along(code, vector, STRIP)))
    show_grid(strip, ncol=len(STRIP), scale=present.picture_scale(3, strip.shape[-2:]),
              caption="alpha = " + ", ".join(f"{a:g}" for a in STRIP) + f" ({what} + alpha v)")
