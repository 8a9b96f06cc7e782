"""Choosing the images a page starts from, and the cached codes those pages need.

pick_image draws one "which image?" control bound to an ImageRef field of the page's view: a label and an index among
that label's test images, a Random button, and (where drawing is allowed) a canvas whose drawing is kept in the view
as a small bitmap, so it comes back on return and travels in links. A page may hold several (Interpolate's A, B, C);
selection_button fills them from the Latent Space page's kept selection.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from aelab.analysis.latent import encode_dataset, kl_per_dimension
from aelab.views.pages import LatentView
from aelab.views.values import Bitmap, ImageRef
from ui.common import cache
from ui.common.view_state import Bound, kept_view
from ui.common.widgets import class_name

ANY_LABEL = -1
DRAW_BITS = 4  # a drawing's 16 grey levels: what every page and every browser uses as the model's input
SOURCES = ("From the data", "Draw it")


@dataclass(frozen=True)
class Picked:
    """One chosen image. x: (1, 1, H, W) in [0, 1]; index: its position in the test split (None if drawn);
    signature changes whenever the image does, so a page can reset what it derived from the previous one."""

    x: torch.Tensor
    description: str
    signature: str
    index: int | None
    drawing: Bitmap | None = None


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


def _label_and_position(labels: torch.Tensor, index: int) -> tuple[int, int]:
    label = int(labels[index])
    label = label if label >= 0 else ANY_LABEL
    return label, int(np.searchsorted(_pool(labels, label), index))


def latent_page_selection(n_images: int, dataset_name: str) -> list[int]:
    """Test indices selected on the Latent Space page (its view keeps them, with the dataset they index), in
    selection order, those in range; none when they were selected on another dataset."""
    selection = kept_view(LatentView).selection
    if selection is None or selection.dataset != dataset_name:
        return []
    return [i for i in selection.indices if 0 <= i < n_images]


def selection_button(bound: Bound, fields: list[str], labels: torch.Tensor, button_key: str,
                     dataset_name: str, on_change=None) -> None:
    """A button filling the view's image fields with the first len(fields) points selected on the Latent Space page
    (on the dataset named dataset_name: a selection made on another dataset is ignored); on_change() after."""
    selected = latent_page_selection(len(labels), dataset_name)
    if len(selected) < len(fields):
        st.caption(f"Tip: select {len(fields)} or more points on the Latent Space page and use them here"
                   + (f" ({len(selected)} selected now)." if selected else "."))
        return

    def use() -> None:
        bound.set(**{name: ImageRef(index=index) for name, index in zip(fields, selected)})
        if on_change is not None:
            on_change()

    st.button(f"Use the Latent Space selection (test #{', #'.join(map(str, selected[:len(fields)]))})",
              key=button_key, on_click=use, icon=":material/ads_click:")


def pick_image(bound: Bound, name: str, key: str, dataset, title: str, default_index: int = 0,
               allow_drawing: bool = True, on_change=None) -> Picked | None:
    """Draw the picker of the view's field `name` (widget keys prefixed with `key`) and return the chosen test
    image (or drawing); None while a canvas is still empty. on_change(): called when the person picks another image
    (what the page derived from the old one, e.g. moved sliders, starts afresh)."""
    x = dataset.x_test
    if len(x) == 0:
        st.error("This dataset has no test images to pick from.")
        return None
    default_index = min(max(default_index, 0), len(x) - 1)

    def fits(ref: ImageRef) -> str | None:
        if ref.drawing is not None:
            size = (ref.drawing.height, ref.drawing.width)
            return None if size == tuple(dataset.image_size) else f"is a drawing of {size[0]}x{size[1]} pixels"
        return None if 0 <= ref.index < len(x) else f"is not a test image index (0 to {len(x) - 1})"

    default = ImageRef(index=default_index)
    ref = bound.value(name, default=default, check=fits, fallback_text=f"test #{default_index}")
    drawing = _drawing_module() if allow_drawing else None
    source = SOURCES[1] if ref.drawing is not None and drawing is not None else SOURCES[0]
    if drawing is not None:
        bound.seed(f"{key}_source", source)
        source = st.radio(title, SOURCES, key=f"{key}_source", horizontal=True)
    else:
        st.markdown(f"**{title}**")
    bound.show(name)
    if source == SOURCES[1]:
        picked = _drawn(key, dataset, drawing, ref)
    else:
        picked = _from_data(bound, name, key, dataset, ref.index if ref.drawing is None else default_index,
                            on_change)
    if picked is not None:
        now = ImageRef(index=picked.index) if picked.index is not None else ImageRef(drawing=picked.drawing)
        bound.put(name, now, default)
        if now != ref and on_change is not None:
            on_change()
    return picked


def _from_data(bound: Bound, name: str, key: str, dataset, index: int, on_change) -> Picked:
    x, y = dataset.x_test, dataset.y_test
    present = sorted({int(v) for v in y.unique() if int(v) >= 0})
    options = [ANY_LABEL] + present
    # The view keeps the image (its index); "any label" or the image's own label is how the person reached it, so the
    # two widgets are set from the view only when its image changed elsewhere (a link, Random, a selection, Reset).
    if bound.changed(f"{key}_image", index) or bound.widget_value(f"{key}_label") is None \
            or bound.widget_value(f"{key}_pos") is None:
        label, position = _label_and_position(y, index)
        bound.put_widget(f"{key}_label", label)
        bound.put_widget(f"{key}_pos", position)
    # Room for "Random" in full even in Interpolate's narrow third picker (a third of the page).
    label_col, index_col, random_col = st.columns([4, 4, 3], vertical_alignment="bottom")
    if bound.widget_value(f"{key}_label") not in options:
        bound.put_widget(f"{key}_label", ANY_LABEL)
    chosen = label_col.selectbox("Label", options, key=f"{key}_label",
                                 format_func=lambda v: "any" if v == ANY_LABEL else class_name(dataset.class_names, v))
    pool = _pool(y, chosen)
    position_key = f"{key}_pos"
    bound.put_widget(position_key, int(min(max(int(bound.widget_value(position_key, 0)), 0), len(pool) - 1)))
    position = index_col.number_input(f"Index (0-{len(pool) - 1})", min_value=0, max_value=len(pool) - 1, step=1,
                                      key=position_key, help="Which image of that label, in test-split order.")
    random_col.button("Random", key=f"{key}_random", on_click=_randomise, args=(bound, name, len(y), on_change),
                      width="stretch", help="Another test image, chosen at random")
    index = int(pool[int(position)])
    bound.drew(f"{key}_image", index)
    label_name = class_name(dataset.class_names, int(y[index]))
    return Picked(x[index:index + 1], f"test #{index} ({label_name})", f"test:{index}", index)


def _randomise(bound: Bound, name: str, n_images: int, on_change) -> None:
    bound.set(**{name: ImageRef(index=int(np.random.default_rng().integers(n_images)))})
    if on_change is not None:
        on_change()


# ------------------------------------------------------------------------------------------------------ drawing
def _drawing_module():
    """The canvas and MNIST-style preprocessing (ui.common.drawing_canvas), if it is installed."""
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


def drawn_input(canvas_key: str, dataset, drawing, kept: Bitmap | None) -> Bitmap | None:
    """A canvas showing the view's drawing `kept` (after a page change, a link, Reset); what a person draws on it is
    preprocessed like the dataset's images and returned as a bitmap, for the page to keep in its view. Returns the
    drawing the page uses: the new one, or `kept` while the canvas is as it was loaded (None: nothing drawn)."""
    rgba, touched = drawing.digit_canvas(canvas_key, kept)
    with st.container():  # after the canvas: output whose element count changes must not remount it
        if touched:
            x = drawing.drawing_as_input(rgba, _layout(cache.key(dataset=dataset), dataset))
            kept = None if x is None else Bitmap.from_array(x[0, 0].numpy(), DRAW_BITS)
            drawing.remember(canvas_key, kept)
        elif kept is None:
            drawing.drawing_as_input(None, None)  # says what to do
    return kept


def _drawn(key: str, dataset, drawing, ref: ImageRef) -> Picked | None:
    kept = drawn_input(f"{key}_canvas", dataset, drawing, ref.drawing)
    if kept is None:  # nothing drawn yet: the view keeps the image it had
        return None
    x = torch.from_numpy(kept.to_array())[None, None].float()
    return Picked(x, "your drawing", f"drawing:{hashlib.sha1(kept.packed).hexdigest()[:12]}", None, kept)
