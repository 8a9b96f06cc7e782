"""Choosing the images a page starts from, and the cached codes those pages need.

pick_image draws one "which image?" control: a label and an index among that label's test images, a Random button,
and (where the drawing helper exists) a canvas. Its state lives under keys prefixed with the key it is given, so a
page can hold several (Interpolate's A, B and C) and set them from callbacks (use_selection, set_pick).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from aelab.analysis.latent import encode_dataset, kl_per_dimension
from ui.common import cache, url_state
from ui.common.session import session
from ui.common.widgets import class_name

ANY_LABEL = -1
LATENT_SELECTION_KEY = "scatter"  # the Latent Space page's plotly selection (st.session_state), while on that page
# ...and the copy that page keeps (session.kept_selection): Streamlit drops a widget's state (the chart's selection)
# at the end of the first run of another page.


@dataclass(frozen=True)
class Picked:
    """One chosen image. x: (1, 1, H, W) in [0, 1]; index: its position in the test split (None if drawn);
    signature changes whenever the image does, so a page can reset what it derived from the previous one."""

    x: torch.Tensor
    description: str
    signature: str
    index: int | None


# ------------------------------------------------------------------------------------------------------ caching
@st.cache_data(show_spinner="Encoding the test images...", max_entries=32)
def test_codes(identity: str, _model, _x: torch.Tensor) -> torch.Tensor:
    """Codes of the test split, (N, latent_dim); computed once per model and dataset, not on each slider step."""
    return encode_dataset(_model, _x)


@st.cache_data(show_spinner="Measuring each dimension's KL...", max_entries=32)
def test_kl(identity: str, _model, _x: torch.Tensor) -> torch.Tensor | None:
    """Average KL per latent dimension over the test split, (latent_dim,); None for a deterministic model."""
    return kl_per_dimension(_model, _x)


def codes_for(record, dataset) -> torch.Tensor:
    return test_codes(cache.key(record, dataset), record.model, dataset.x_test)


def kl_for(record, dataset) -> torch.Tensor | None:
    if not record.model_config.variational:
        return None
    return test_kl(cache.key(record, dataset), record.model, dataset.x_test)


# ------------------------------------------------------------------------------------------------------ picking
def _pool(labels: torch.Tensor, label: int) -> np.ndarray:
    """Test indices with that label (all of them for ANY_LABEL)."""
    y = labels.numpy()
    return np.arange(len(y)) if label == ANY_LABEL else np.flatnonzero(y == label)


def set_pick(key: str, labels: torch.Tensor, index: int) -> None:
    """Point picker `key` at test image `index` (usable as a callback: only sets session state)."""
    label = int(labels[index])
    label = label if label >= 0 else ANY_LABEL
    st.session_state[f"{key}_source"] = "From the data"
    st.session_state[f"{key}_label"] = label
    st.session_state[f"{key}_pos"] = int(np.searchsorted(_pool(labels, label), index))


def _randomise(key: str, labels: torch.Tensor) -> None:
    set_pick(key, labels, int(np.random.default_rng().integers(len(labels))))


def latent_page_selection(n_images: int, dataset_name: str | None = None) -> list[int]:
    """Test indices selected on the Latent Space page, in selection order, at most those in range: from the copy
    that page keeps (for dataset_name), else, while the chart's own state is still there, from the chart.

    That page plots one trace per label, so a point's index within its trace is not its test index: the test index
    travels as the point's customdata (its first entry when customdata is a list)."""
    kept = session.kept_selection
    if kept and (dataset_name is None or kept.get("dataset") == dataset_name):
        return [i for i in kept.get("indices", []) if 0 <= i < n_images]
    state = st.session_state.get(LATENT_SELECTION_KEY)
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return []
    chosen: list[int] = []
    for point in points or []:
        data = point.get("customdata") if hasattr(point, "get") else None
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        # Points without a number (the page's invisible click grid) are not test images.
        if isinstance(data, (int, float)) and 0 <= int(data) < n_images and int(data) not in chosen:
            chosen.append(int(data))
    return chosen


def selection_button(keys: list[str], labels: torch.Tensor, button_key: str,
                     dataset_name: str | None = None) -> None:
    """A button filling pickers `keys` with the first len(keys) points selected on the Latent Space page (on the
    dataset named dataset_name: a selection made on another dataset is ignored)."""
    selected = latent_page_selection(len(labels), dataset_name)
    if len(selected) < len(keys):
        st.caption(f"Tip: select {len(keys)} or more points on the Latent Space page and use them here"
                   + (f" ({len(selected)} selected now)." if selected else "."))
        return

    def use() -> None:
        for key, index in zip(keys, selected):
            set_pick(key, labels, index)

    st.button(f"Use the Latent Space selection (test #{', #'.join(map(str, selected[:len(keys)]))})",
              key=button_key, on_click=use, icon=":material/ads_click:")


def _index_from_link(param: str | None, key: str, n_images: int, default_index: int) -> int:
    """The test image a link names (?param=test:INDEX), or default_index with a lasting message if it names none."""
    raw = url_state.from_link(param) if param else None
    if raw is None:
        return default_index
    split, _, number = raw.strip().rpartition(":")
    index, why = url_state.parse(number, default_index, low=0, high=n_images - 1)
    if split not in ("test", "") and why is None:
        why = "names a split other than test"
    if why is not None:
        url_state.bad_value(param, raw, why.replace("out of range", "not a test image index") if "range" in why
                            else why, f"test #{default_index}", f"{key}_index", default_index)
        return default_index
    return index


def pick_image(key: str, dataset, title: str, default_index: int = 0, allow_drawing: bool = True,
               url_param: str | None = None) -> Picked | None:
    """Draw the picker and return the chosen test image (or drawing); None while a canvas is still empty.
    url_param: the query-string name that keeps the chosen image (as test:INDEX) in a shareable link."""
    x, y = dataset.x_test, dataset.y_test
    if len(x) == 0:
        st.error("This dataset has no test images to pick from.")
        return None
    default_index = min(max(default_index, 0), len(x) - 1)
    if f"{key}_label" not in st.session_state:
        set_pick(key, y, _index_from_link(url_param, key, len(x), default_index))
    picked = _pick(key, dataset, title, allow_drawing)
    if url_param:
        index = picked.index if picked is not None else None
        st.session_state[f"{key}_index"] = index
        url_state.write(url_param, None if index is None else f"test:{index}", f"test:{default_index}")
        url_state.show(url_param)
    return picked


def _pick(key: str, dataset, title: str, allow_drawing: bool) -> Picked | None:
    x, y = dataset.x_test, dataset.y_test
    sources = ["From the data"]
    drawing = _drawing_module() if allow_drawing else None
    if drawing is not None:
        sources.append("Draw it")
    source = st.radio(title, sources, key=f"{key}_source", horizontal=True) if len(sources) > 1 else sources[0]
    if len(sources) == 1:
        st.markdown(f"**{title}**")
    if source == "Draw it":
        return _drawn(key, dataset, drawing)

    present = sorted({int(v) for v in y.unique() if int(v) >= 0})
    options = [ANY_LABEL] + present
    if st.session_state.get(f"{key}_label") not in options:
        st.session_state[f"{key}_label"] = ANY_LABEL
    # Room for "Random" in full even in Interpolate's narrow third picker (a third of the page).
    label_col, index_col, random_col = st.columns([4, 4, 3], vertical_alignment="bottom")
    label = label_col.selectbox("Label", options, key=f"{key}_label",
                                format_func=lambda v: "any" if v == ANY_LABEL else class_name(dataset.class_names, v))
    pool = _pool(y, label)
    position_key = f"{key}_pos"
    st.session_state[position_key] = int(min(max(int(st.session_state.get(position_key, 0)), 0), len(pool) - 1))
    position = index_col.number_input(f"Index (0-{len(pool) - 1})", min_value=0, max_value=len(pool) - 1, step=1,
                                      key=position_key, help="Which image of that label, in test-split order.")
    random_col.button("Random", key=f"{key}_random", on_click=_randomise, args=(key, y), width="stretch",
                      help="Another test image, chosen at random")
    index = int(pool[int(position)])
    name = class_name(dataset.class_names, int(y[index]))
    return Picked(x[index:index + 1], f"test #{index} ({name})", f"test:{index}", index)


# ------------------------------------------------------------------------------------------------------ drawing
def _drawing_module():
    """The Latent Space page's canvas and MNIST-style preprocessing (ui.common.drawing_canvas), if it is installed."""
    try:
        from ui.common import drawing_canvas
    except ImportError:  # streamlit-drawable-canvas missing: the data picker alone still works
        return None
    return drawing_canvas


@st.cache_data(show_spinner=False, max_entries=16)
def _layout(identity: str, _dataset):
    """Where the dataset's digits sit (box size, centre of mass), so a drawing is made like them."""
    from aelab.data.drawing import layout_like

    return layout_like(_dataset.x_train[:2000])


def _drawn(key: str, dataset, drawing) -> Picked | None:
    rgba = drawing.digit_canvas(f"{key}_canvas")
    with st.container():  # after the canvas: output whose element count changes must not remount it
        x = drawing.drawing_as_input(rgba, _layout(cache.key(dataset=dataset), dataset))
    if x is None:
        return None
    digest = hashlib.sha1(x.numpy().tobytes()).hexdigest()[:12]
    return Picked(x.float(), "your drawing", f"drawing:{digest}", None)
