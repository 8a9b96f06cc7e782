"""The Restore page's controls and drawings: a corruption and its strength (or a drawn mask), the methods, the row
of examples, the score table and the PSNR-against-strength chart. The work itself is aelab.analysis.restoration's.

Long computations (the score table, the sweep) report progress through a bar, so they are not st.cache_data
functions (a cached function would record and replay the bar); their results go to the process-wide result store
instead, under the identity of the dataset and the chosen models' weights (methods_identity) and the rest of the
choices (methods_params).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from PIL import Image

from aelab.analysis.images import grid
from aelab.analysis.restoration import (
    HIGHER_IS_BETTER,
    METRICS,
    REFERENCE,
    Method,
    applicable,
    best_per_column,
    classic_methods,
    model_method,
)
from aelab.data.corruption import CORRUPTION_INFO, apply_corruption, mask_from_drawing, strength_range
from aelab.runtime.identity import CacheIdentity
from aelab.views.values import Bitmap
from ui.common import cache
from ui.common.drawing_canvas import mask_canvas, remember
from ui.common.selection import load_model_key, loadable, model_choices
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build tables import it
    import pandas as pd

# Those that fit the dataset's image size are chosen at first: the four 28x28 ones, or the 8x8 digits' own AE.
DEFAULT_MODELS = ("pretrained/ae", "pretrained/denoising_ae", "pretrained/denoising_gaussian",
                  "pretrained/denoising_mixed", "pretrained/digits-ae")
DEFAULT_CORRUPTION = "box"
CORRUPTION_KEY = "restore_corruption"  # the corruption picker's widget key
CANVAS_SIDE = 280
N_EXAMPLES = 8


@dataclass(frozen=True)
class CorruptionChoice:
    """What the user picked: name, strength (None for a drawn mask), options for the corruption function, and a
    key that names all of it for caches."""

    name: str
    strength: float | None
    options: dict = field(default_factory=dict)
    key: str = ""

    def apply(self, x: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        strength = self.options.get("mask") if self.strength is None else self.strength
        options = {k: v for k, v in self.options.items() if k != "mask"}
        return apply_corruption(self.name, x, strength, torch.Generator().manual_seed(seed), **options)


# ------------------------------------------------------------------------------------------------------- storage
def methods_identity(dataset, model_keys: list[str]) -> CacheIdentity:
    """What a score table or sweep is computed from: the dataset and the chosen models' weights, in order."""
    return cache.identity_of([load_model_key(key) for key in model_keys], dataset)


def methods_params(model_keys: list[str], classic: dict[str, Method], keep_known: bool) -> tuple:
    """The rest of the methods' description (the model keys name the rows)."""
    return tuple(model_keys), tuple(m.name for m in classic.values()), keep_known


# ------------------------------------------------------------------------------------------------------ controls
def corruption_controls(view: Bound, image_size: tuple[int, int], background: torch.Tensor) -> CorruptionChoice | None:
    """The corruption picker and its strength; None (with a hint) while a drawn mask is still empty.
    background: (1, 1, H, W), the image drawn under the canvas."""
    names = list(CORRUPTION_INFO)
    # The box opens the page: the case the course material shows by eye, a denoising AE against OpenCV inpainting.
    # Another corruption starts at its own strength and box place (a box side of 10 pixels means nothing as a sigma).
    name = view.selectbox("kind", "Corruption", names, key=CORRUPTION_KEY,
                          format_func=lambda n: CORRUPTION_INFO[n].label,
                          on_change=lambda: view.set(strength=None, top=None, left=None),
                          help="; ".join(f"{i.label}: {i.description}" for i in CORRUPTION_INFO.values()))
    info = CORRUPTION_INFO[name]
    st.caption(info.description)
    if name == "user_mask":
        return _drawn_mask(view, image_size, background)
    s = strength_range(name, image_size)
    kind = int if s.in_pixels else float
    strength = kind(view.slider("strength", s.label.capitalize(), kind(s.low), kind(s.high),
                                key=f"restore_strength_{name}", default=kind(s.default), step=kind(s.step)))
    options: dict = {}
    if name == "box":
        fill = view.radio("fill", "Fill", ["black", "grey"], key="restore_box_fill", horizontal=True)
        options["value"] = 0.0 if fill == "black" else 0.5
        if view.radio("place", "Place", ["random", "chosen"], key="restore_box_place", horizontal=True,
                      help="Random: a different place in each image. Chosen: the same place in every image.") \
                == "chosen":
            limit = max(0, min(image_size) - int(strength))
            top = view.slider("top", "Top row", 0, max(limit, 1), key="restore_box_top", default=limit // 2,
                              disabled=limit == 0)
            left = view.slider("left", "Left column", 0, max(limit, 1), key="restore_box_left", default=limit // 2,
                               disabled=limit == 0)
            options.update(top=min(top, limit), left=min(left, limit))
    key = f"{name}:{strength}:{sorted(options.items())}"
    return CorruptionChoice(name, strength, options, key)


def _drawn_mask(view: Bound, image_size: tuple[int, int], background: torch.Tensor) -> CorruptionChoice | None:
    """The mask painted on a canvas over the first test image, kept in the view as a bitmap at the images' size (so
    it comes back on return and travels in the link)."""
    st.caption("Paint over the pixels to blank out (the same mask on every test image); the digit is only a guide.")
    picture = Image.fromarray(grid(background, padding=0)).resize((CANVAS_SIDE, CANVAS_SIDE), Image.NEAREST)
    size = tuple(image_size)
    kept = view.value("mask", check=lambda m: None if (m.height, m.width) == size and m.bits == 1
                      else "is a mask of another size")
    brush = view.slider("brush", "Brush width", 10, 60, key="restore_brush", step=5)
    image, touched = mask_canvas("restore_canvas", kept, picture, brush)
    if touched:
        mask = mask_from_drawing(image, image_size) if image is not None else None
        kept = Bitmap.from_array(mask.numpy(), 1) if mask is not None and mask.any() else None
        remember("restore_canvas", kept)
        view.put("mask", kept)
    view.show("mask")
    if kept is None or not kept.any():
        return None
    mask = torch.from_numpy(kept.to_array() > 0.5)
    packed = np.packbits(mask.numpy()).tobytes().hex()
    return CorruptionChoice("user_mask", None, {"mask": mask}, f"user_mask:{packed}")


def method_controls(view: Bound, image_size: tuple[int, int], local: bool) -> tuple[list[str], dict[str, Method], bool]:
    """(chosen model keys, chosen classic methods by name, keep known pixels?)."""
    choices = model_choices(image_size)
    labels = {key: label for label, key in choices.items()}
    defaults = tuple(key for key in DEFAULT_MODELS if key in labels)
    size = f"{image_size[0]}x{image_size[1]}"
    model_keys = list(view.multiselect("models", "Autoencoders (from the library)", list(labels),
                                       key="restore_models", default=defaults, format_func=labels.get,
                                       help=f"Models for {size} images. Each reconstructs the corrupted image."))
    _, failed = loadable(model_keys)  # a model that fails to load is named and left out, not fatal
    for key, reason in failed.items():
        st.warning(f"{key} is left out: it could not be loaded ({reason}).", icon=":material/broken_image:")
    model_keys = [key for key in model_keys if key not in failed]
    if not labels:
        st.caption(f"No model for {size} images in the library yet: train one on the Train page.")
    keep_known = view.checkbox("known", "Also score them with the known pixels kept", key="restore_keep_known",
                               disabled=not local,
                               help="Paste the model's output inside the mask only and keep every pixel the "
                                    "corruption did not touch, as the inpainting methods do. Scored as extra rows "
                                    "named '+ known pixels'.")
    left, right = st.columns(2)
    radius = view.slider("radius", "Inpainting radius", 1, 10, where=left, key="restore_radius",
                         help="How far (pixels) OpenCV's inpainting looks around each damaged pixel.")
    auto_h = view.checkbox("nlm_auto", "Non-local means: h from the estimated noise", where=right,
                           key="restore_nlm_auto")
    h = None if auto_h else view.slider("nlm_h", "h (grey levels)", 5, 120, where=right, key="restore_nlm_h", step=5)
    classic = classic_methods(radius=radius, nlm_h=h)
    picked = view.multiselect("classic", "Classic methods", list(classic), key="restore_classic",
                              default=tuple(classic),
                              format_func=lambda k: classic[k].name + (" (needs the mask)" * classic[k].needs_mask))
    return model_keys, {k: classic[k] for k in picked}, keep_known and local


def build_methods(model_keys: list[str], classic: dict[str, Method], keep_known: bool,
                  corruption: str) -> tuple[dict[str, Method], list[str]]:
    """The methods that will run, in display order, and the names of those skipped for this corruption."""
    methods: dict[str, Method] = {}
    for key in model_keys:
        record = load_model_key(key)
        methods[f"model:{key}"] = model_method(record.name, record.model)
        if keep_known:
            methods[f"known:{key}"] = model_method(record.name, record.model, keep_known=True)
    methods.update({f"classic:{k}": m for k, m in classic.items()})
    return applicable(methods, corruption)


# -------------------------------------------------------------------------------------------------------- tables
def score_frame(rows: list[dict], local: bool) -> pd.DataFrame:
    import pandas as pd

    columns = [c for c, inside, _ in METRICS if local or not inside]
    frame = pd.DataFrame(rows).set_index("method")
    frame.index.name = "method"
    frame["needs mask"] = np.where(frame["needs_mask"], "✓", "")
    frame = frame.rename(columns={"ms_per_image": "ms / image"})
    return frame[["needs mask", *columns, "ms / image"]]


COMPACT_COLUMNS = ["PSNR (dB)", "SSIM"]
ROW_KINDS = {  # one sentence per kind of row in the score table (its first column says which kind)
    "reference": "the damaged image itself, unrestored: the score to beat.",
    "model": "an autoencoder's whole reconstruction of the damaged image.",
    "known": "the same autoencoder's output pasted inside the mask only, every undamaged pixel kept.",
    "classic": "a method that knows pixels, not digits (OpenCV inpainting, median filter, non-local means).",
}
KIND_NAMES = {"reference": "input", "model": "autoencoder", "known": "AE + known pixels", "classic": "classic"}


def row_kind(row: dict) -> str:
    if row["kind"] == "reference":
        return "reference"
    if row["kind"] == "classic":
        return "classic"
    return "known" if row["method"].endswith("+ known pixels") else "model"


def compact_frame(rows: list[dict]) -> pd.DataFrame:
    """The table a class reads first: each method's kind, PSNR and SSIM over the whole image."""
    import pandas as pd

    frame = pd.DataFrame({"method": [r["method"] for r in rows], "kind": [KIND_NAMES[row_kind(r)] for r in rows],
                          **{column: [r[column] for r in rows] for column in COMPACT_COLUMNS}})
    return frame.set_index("method")


def row_kind_sentences(rows: list[dict]) -> str:
    """One line per kind of row present in the table."""
    kinds = dict.fromkeys(row_kind(r) for r in rows)
    return "  \n".join(f"**{KIND_NAMES[k]}**: {ROW_KINDS[k]}" for k in kinds)


def styled_scores(frame: pd.DataFrame, rows: list[dict]):
    """The best method of each column in bold on a light green background (ties all marked); method names are not
    broken across lines."""
    best = best_per_column(rows)

    def mark(column: pd.Series) -> list[str]:
        winners = set(best.get(column.name, []))
        return ["font-weight: bold; background-color: #CCEBC5" if m in winners else "" for m in column.index]

    metric_columns = [c for c in frame.columns if c in HIGHER_IS_BETTER]
    formats = {c: ("{:.4f}" if c.startswith(("MSE", "SSIM")) else "{:.2f}") for c in metric_columns}
    styler = frame.style.apply(mark, subset=metric_columns)
    styler = styler.set_table_styles([{"selector": "th", "props": "white-space: nowrap; word-break: keep-all;"}])
    return styler.format({**formats, **({"ms / image": "{:.2f}"} if "ms / image" in frame else {})}, na_rep="—")


def sweep_figure(rows: list[dict], column: str, strength_label: str) -> go.Figure:
    """PSNR against strength, one line per method; the unrestored input dotted grey, classic methods dashed."""
    fig = go.Figure()
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for i, name in enumerate(methods):
        points = [r for r in rows if r["method"] == name]
        is_reference = name == REFERENCE
        dash = "dot" if is_reference else ("dash" if points[0]["kind"] == "classic" else "solid")
        fig.add_scatter(x=[p["strength"] for p in points], y=[p[column] for p in points], name=name,
                        mode="lines+markers",
                        line={"color": "#888888" if is_reference else PALETTE[i % len(PALETTE)], "dash": dash})
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title=strength_label,
                      yaxis_title=column, legend={"orientation": "h", "y": -0.25}, hovermode="x unified")
    return fig


MANIFOLD_TEXT = """
**Why a denoising autoencoder pulls images back onto the data.** Real digits fill a thin, curved region of the
784-dimensional pixel space: the *data manifold*. Corrupting an image pushes it off that region, in a direction
the digit itself never takes (speckles, holes, a black square). A denoising autoencoder is trained to map each
corrupted point back to the clean one it came from, so, to lower its loss, it learns a map that sends everything
near the manifold to the closest-looking point *on* it. Vincent et al. (2008) framed it this way, and Alain & Bengio
(2014) showed that for small Gaussian noise the learned correction x̂(x̃) − x̃ points along the gradient of the log
data density: a step uphill, towards where digits are. The bottleneck helps too: a 16-number code can only describe
digit-like images, so whatever it cannot describe (the corruption) is dropped. Its limit is the flip side: it
restores the corruptions it was trained on. The three pretrained denoisers share one architecture and differ only in
their training noise: *denoising_ae* saw dropped pixels (set to 0), so it fills holes and boxes well but does worse
than the plain AE on noise that *brightens* pixels; *denoising_gaussian* saw Gaussian noise (sigma 0.3), so it wins
on Gaussian noise and salt and pepper and loses on holes. Switch the corruption above and watch those two trade
places. *denoising_mixed* saw all five kinds (the "Mixed" corruption): never far behind the specialist on its own
noise, and ahead of both on boxes and missing rows.
"""
