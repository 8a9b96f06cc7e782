"""What a lesson file shows of each page: the page's view, resolved against a model and a dataset, as the sections
its viewer draws (a live view of modes.js with its spec, a few images, a heading and a line of text).

The specs are those the app's pages give their live decoder (ui/traverse.py, ui/interpolate.py, ui/generate.py,
ui/latent/live.py), computed with the same aelab functions, so a lesson opens on what the page showed. The page's
defaults for fields its view leaves at None (the first test images, the map's natural method) are the pages' own.
A value that does not fit this model or dataset raises LessonError: the CLI says it in one line, and the app never
gets there (its views were checked when they were bound). Each page's lesson also has a title and caption to start
from (default_text), the same in the app's form and the CLI.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from aelab.analysis.images import PALETTE, UNLABELLED_COLOUR, enlarge, png_bytes, to_uint8
from aelab.analysis.latent import (
    decode,
    dimension_importance,
    encode_dataset,
    importance_order,
    kl_per_dimension,
    latent_name,
    project_2d,
)
from aelab.analysis.maps import plane_basis, plane_range
from aelab.analysis.paths import (
    RANGE_MODES,
    dimension_ranges,
    first_index_with_new_label,
    sample_prior,
    slider_bounds,
    widen_to_include,
)
from aelab.data.dataset import class_name
from aelab.errors import AelabError
from aelab.views.values import ImageRef

SHOWN_AT_FIRST = 8  # Traverse's sliders before "show all" (ui/traverse.py)
TEMPERATURES = (0.1, 2.0, 0.01)  # Generate's live temperature: low, high, step (ui/generate.py)
PLANE_PX, PLANE_POINTS = 280, 2000  # the live plane's side and the dots drawn on it (ui/latent/live.py)
MAP_SIZES = (250, 500, 1000, 2000, 5000, 10000)  # the Latent Space page's choices of test images on the map
THUMB_PX = 84  # a lesson's still images, side in pixels


class LessonError(AelabError):
    """A view that this model or dataset cannot show (a test image past the split, a slider out of its range...)."""


@dataclass(frozen=True)
class Section:
    """One part of a lesson page: mode is a view of modes.js, spec its settings; images are (caption, PNG bytes)."""

    heading: str
    text: str
    mode: str
    spec: dict[str, Any]
    images: tuple[tuple[str, bytes], ...] = ()


# A lesson's title and caption until the teacher writes their own (the app's form starts from these, so a file saved
# without editing them is the CLI's file).
TEXTS = {
    "traverse": ("Traverse the latent space of {model}", "Each slider is one number of an image's code; the picture "
                 "is what {model}'s decoder makes of the code. Drag a slider and see what that number controls."),
    "interpolate": ("Interpolate with {model}", "Walk from one image's code to another's, or mix three, and watch "
                    "{model}'s decoder morph one digit into the other."),
    "generate": ("Generate with {model}", "Random codes decoded by {model}: drag the temperature and watch the "
                 "samples sharpen or wander."),
    "latent": ("The latent space of {model}", "Each dot is a test image placed by its code; hover anywhere to see "
               "what {model} decodes there."),
}


def default_text(page: str, record) -> tuple[str, str]:
    """(title, caption) of a page's lesson of record's model, before anyone edits them."""
    title, caption = TEXTS[page]
    return title.format(model=record.name), caption.format(model=record.name)


# ------------------------------------------------------------------------------------------------ shared pieces
def _picture(x: torch.Tensor) -> bytes:
    """(1, 1, H, W) or (1, H, W) in [0, 1] -> a PNG of about THUMB_PX pixels, upscaled by whole pixels."""
    image = to_uint8(x.reshape(x.shape[-2:]))
    return png_bytes(enlarge(image, max(1, -(-THUMB_PX // max(image.shape)))))


def _image(dataset, ref: ImageRef | None, default_index: int, param: str) -> tuple[torch.Tensor, str]:
    """The view's chosen image (x: (1, 1, H, W)) and how the page describes it."""
    ref = ref or ImageRef(index=default_index)
    if ref.drawing is not None:
        size = (ref.drawing.height, ref.drawing.width)
        if size != tuple(dataset.image_size):
            raise LessonError(f"{param}= is a drawing of {size[0]}x{size[1]} pixels; {dataset.name}'s images are "
                              f"{dataset.image_size[0]}x{dataset.image_size[1]}.")
        return torch.from_numpy(ref.drawing.to_array())[None, None].float(), "your drawing"
    if not 0 <= ref.index < len(dataset.x_test):
        raise LessonError(f"{param}=test:{ref.index} is not a test image of {dataset.name} (0 to "
                          f"{len(dataset.x_test) - 1}).")
    label = class_name(dataset.class_names, int(dataset.y_test[ref.index]))
    return dataset.x_test[ref.index:ref.index + 1], f"test #{ref.index} ({label})"


def _within(param: str, value: Any, low: Any, high: Any) -> None:
    if not low <= value <= high:
        raise LessonError(f"{param}={value} is out of range ({low} to {high}).")


def display_scale(image_size: tuple[int, int], at_least: int = PLANE_PX) -> int:
    """Whole-pixel upscaling making the larger side at least `at_least` px (the live decoder's own rule)."""
    return max(1, -(-at_least // max(image_size)))


# ------------------------------------------------------------------------------------------------ the pages
def traverse(view, record, dataset) -> tuple[Section, ...]:
    """Traverse: one slider per latent dimension (most important first), the start image's code to begin with."""
    model, config = record.model, record.model_config
    if config.quantized:
        raise LessonError(f"{record.name} is a VQ-VAE: its codes are discrete, so Traverse has no sliders for it.")
    if view.range not in RANGE_MODES:
        raise LessonError(f"range={view.range} is not one of {', '.join(RANGE_MODES)}.")
    _within("k", view.k, 0.5, 10.0)
    x0, described = _image(dataset, view.start, 0, "start")
    codes = encode_dataset(model, dataset.x_test)
    kl = kl_per_dimension(model, dataset.x_test) if config.variational else None
    scores = dimension_importance(codes, kl)
    order = importance_order(scores)
    z0 = encode_dataset(model, x0)[0]
    lows, highs = slider_bounds(*widen_to_include(*dimension_ranges(codes, view.range, view.k), z0))
    code = [float(v) for v in z0]
    for dim, value in view.z or ():
        if not 0 <= dim < len(code):
            raise LessonError(f"z= names a dimension {record.name} does not have ({latent_name(dim)}).")
        if not lows[dim] <= value <= highs[dim]:
            raise LessonError(f"z= puts {latent_name(dim)} out of its range ({lows[dim]:.2f} to {highs[dim]:.2f}).")
        code[dim] = value
    shown = order if view.show_all else order[:SHOWN_AT_FIRST]
    score_name = "KL" if kl is not None else "var"
    spec = {"dims": shown, "labels": [f"{latent_name(d)}  ({score_name} {float(scores[d]):.2f})" for d in shown],
            "lows": lows, "highs": highs, "steps": [max((h - lo) / 100, 1e-4) for lo, h in zip(lows, highs)],
            "code": code, "source": None, "caption": "decoded in your browser as you drag"}
    ordered_by = ("average KL over the test images (what a VAE uses)" if kl is not None
                  else "the variance of the codes over the test images")
    images = ((described, _picture(x0)), ("its reconstruction", _picture(decode(model, z0[None]))))
    section = Section("One slider per dimension", f"Ordered by {ordered_by}; a slider starts at the image's own "
                      "code. Drag one and watch what that number of the code controls.", "sliders", spec, images)
    return (section,)


def interpolate(view, record, dataset) -> tuple[Section, ...]:
    """Interpolate: the scrub from A to B, and the triangle A, B, C."""
    model = record.model
    default_c = first_index_with_new_label(dataset.y_test, [0, 1]) if len(dataset.x_test) > 1 else 0
    pictures = [_image(dataset, ref, index, name) for ref, index, name in
                ((view.a, 0, "a"), (view.b, min(1, len(dataset.x_test) - 1), "b"), (view.c, default_c, "c"))]
    x = torch.cat([picture for picture, _ in pictures])
    names = [described for _, described in pictures]
    z = encode_dataset(model, x)
    _within("t", view.t, 0.0, 1.0)
    weights = view.weights or (1 / 3, 1 / 3, 1 / 3)
    if min(weights) < 0 or sum(weights) <= 0:
        raise LessonError("w= is not three weights >= 0 (A, B, C).")
    weights = [w / sum(weights) for w in weights]
    scrub = {"anchors": z[:2].tolist(), "t": view.t, "label": f"t (0 = {names[0]}, 1 = {names[1]})",
             "caption": "(1 - t) z_A + t z_B, decoded in your browser as you drag"}
    triangle = {"anchors": z.tolist(), "weights": weights, "size": PLANE_PX,
                "caption": "w_A z_A + w_B z_B + w_C z_C, decoded in your browser as you drag"}
    thumbs = [(f"{letter}: {name}", _picture(image[None])) for letter, name, image in zip("ABC", names, x)]
    sections = (Section("From A to B", "Encode A and B, walk in a straight line between their codes and decode each "
                        "step: one digit morphs into the other.", "scrub", scrub, tuple(thumbs[:2])),
                Section("Three-way mixtures", "Drag the point inside the triangle, A at the top, B bottom left, C "
                        "bottom right: the picture is decoded from the weighted mix of the three codes.", "triangle",
                        triangle, tuple(thumbs)))
    return sections


def generate(view, record, dataset) -> tuple[Section, ...]:
    """Generate: a grid of the VAE's samples whose temperature is dragged (the same noise vectors, scaled)."""
    config = record.model_config
    if not config.variational or config.quantized:
        raise LessonError(f"{record.name} is not a VAE: Generate's live grid samples a VAE's N(0, I) prior.")
    low, high, step = TEMPERATURES
    _within("side", view.side, 3, 12)
    _within("temperature", view.temperature, low, high)
    _within("seed", view.seed, 0, 2**31 - 1)
    side, seed = view.side, view.seed
    eps = sample_prior(side * side, config.latent_dim, 1.0, seed)  # vae_prior_samples' codes are temperature * eps
    spec = {"eps": eps.tolist(), "cols": side, "scale": 3 if side <= 6 else 2, "temperature": view.temperature,
            "low": low, "high": high, "step": step, "label": "Temperature (live, VAE)",
            "caption": f"{record.name}: the same {side * side} noise vectors (seed {seed}) times the temperature, "
                       "decoded in your browser as you drag."}
    section = Section("Sampling from the prior", "Random codes z = T eps, eps ~ N(0, I), decoded by the VAE: lower "
                      "temperatures give clearer, less varied samples; higher ones wander off where the decoder was "
                      "never trained.", "grid", spec)
    return (section,)


def latent(view, record, dataset) -> tuple[Section, ...]:
    """Latent Space: the live plane under the map's points (PCA, or two raw dimensions); hover to decode."""
    latent_dim, n_test = record.model_config.latent_dim, len(dataset.x_test)
    method = view.map or ("raw" if latent_dim == 2 else "pca")
    if method not in ("pca", "raw"):
        raise LessonError(f"map={method}: the live plane needs the PCA map or two latent dimensions (map=pca or "
                          "map=raw); UMAP has no inverse to decode from.")
    choices = sorted({n for n in MAP_SIZES if n < n_test} | {n_test})
    n = view.points or min(n_test, 5000)
    if n not in choices:
        raise LessonError(f"points={n} is not one of the choices ({', '.join(map(str, choices))}).")
    z = encode_dataset(record.model, dataset.x_test[:n]).numpy()
    if method == "pca":
        projection = project_2d(z, "pca")
    else:
        projection = project_2d(z, "raw", dims=_raw_dims(view, record, dataset, z))
    origin, axes, says = plane_basis(projection, z)
    coords, labels = projection.coords, dataset.y_test[:n].numpy()
    shown = np.linspace(0, len(coords) - 1, min(len(coords), PLANE_POINTS)).astype(int)
    low, high = plane_range(coords)
    pinned = view.pinned
    if pinned is not None and not all(low - (high - low) <= v <= high + (high - low) for v in pinned):
        raise LessonError("pin= is far outside the map.")
    titles = projection.axes
    spec = {"size": PLANE_PX, "extent": [low, high, low, high], "origin": origin.tolist(), "axes": axes.tolist(),
            "x": np.round(coords[shown, 0], 4).tolist(), "y": np.round(coords[shown, 1], 4).tolist(),
            "c": [int(v) % len(PALETTE) if v >= 0 else len(PALETTE) for v in labels[shown]],
            "colours": [*PALETTE, UNLABELLED_COLOUR], "xlabel": titles[0], "ylabel": titles[1],
            "hint": "move the mouse over the plane; click to pin a point", "caption": "decoded where you hover",
            "pinned": None if pinned is None else list(pinned), "start": [(low + high) / 2, (low + high) / 2]}
    section = Section("Live plane", f"{len(shown):,} test images placed by their codes, one colour per class. "
                      + says, "plane", spec)
    return (section,)


def _raw_dims(view, record, dataset, z: np.ndarray) -> tuple[int, int]:
    """The raw map's two dimensions: the view's, else the two the model uses most (0 and 1 for 2 latents)."""
    latent_dim = z.shape[1]
    if view.dims is not None:
        if max(view.dims) >= latent_dim or view.dims[0] == view.dims[1]:
            raise LessonError(f"dims= names two different dimensions up to {latent_name(latent_dim - 1)}.")
        return tuple(view.dims)
    if latent_dim == 2:
        return 0, 1
    kl = kl_per_dimension(record.model, dataset.x_test[:len(z)])
    order = importance_order(dimension_importance(torch.from_numpy(z), kl))
    return order[0], order[1]


PAGES = {"traverse": traverse, "interpolate": interpolate, "generate": generate, "latent": latent}
