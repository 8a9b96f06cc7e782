"""Every page's view, declared in one place: what a person sets on each page, each field with its link parameter.

This file is the allowlist of what may enter a link: a query parameter exists only if a field here names it, and
nothing that identifies a person or a capability (a browser id, a job id, a teacher key, a display name, a save
name) has one (tests/unit/test_views.py checks both). A field declared with None has a default the page gives when
it binds it (the dataset's size, the model's dimensions); the others' defaults are here. Link formats that were
shared before these views existed (?b=test:22, ?z=z3:0.5, ?section=kmeans, ?present=1...) are read as they were.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from aelab.errors import ConfigError
from aelab.models.knobs import KNOB_BY_FIELD, KNOBS, N_TRAIN_PARAM, parse_knob
from aelab.views.base import View, param
from aelab.views.codecs import Codec, Float, LinkValueError, Many, _bounded
from aelab.views.values import (
    Bitmap,
    BitmapCodec,
    DimsCodec,
    FloatsCodec,
    ImageRef,
    ImageRefCodec,
    MovedCodec,
    Selection,
    SelectionCodec,
)

IMAGE, BITMAP, MOVED = ImageRefCodec(), BitmapCodec(), MovedCodec()
POINT, WEIGHTS, CAMERA = FloatsCodec(2), FloatsCodec(3), FloatsCodec(3)


@dataclass(frozen=True)
class AppView(View):
    """The sidebar's choices, shared by every page: the dataset, the model, a conditional model's class, presenter
    mode."""

    scope = "app"
    data: str | None = param("data")  # None: the default dataset
    model: str | None = param("model")  # "pretrained/NAME", "library/NAME", "session/NAME"; None: the default
    label: int = param("class", 0)
    present: bool = param("present", False)


@dataclass(frozen=True)
class HomeView(View):
    scope = "home"


@dataclass(frozen=True)
class LatentView(View):
    scope = "latent"
    split: str = param("split", "test")  # the images on the map: test, or all (test then training)
    points: int | None = param("points")  # images on the map (the first n)
    map: str | None = param("map")  # pca, umap, raw; None: the model's natural map (raw for 2 latents, else pca)
    neighbors: int = param("nn", 15)
    min_dist: float = param("md", 0.1)
    dims: tuple[int, int] | None = param("dims", None, DimsCodec())  # the raw map's axes
    manifold: bool = param("under", True)  # decoded images under a 2-latent model's points
    quantiles: bool = param("quantiles", False)
    selection: Selection | None = param("sel", None, SelectionCodec())
    pinned: tuple[float, float] | None = param("pin", None, POINT)  # the live plane's pinned point
    colour: str = param("colour", "label")  # what colours the WebGL map's points (ui/latent/map.py COLOURINGS)
    camera: tuple[float, float, float] | None = param("cam", None, CAMERA)  # the WebGL map's centre (x, y) and zoom
    digit: Bitmap | None = param("digit", None, BITMAP)  # the drawn digit, as the model's input
    # attribute vectors: two groups (two labels, or two sets taken from selections), the image moved along B - A
    # (None: the drawn digit, else the first image of group A) and how far (alpha)
    groups: str = param("groups", "labels")  # labels | sets
    label_a: int | None = param("la")
    label_b: int | None = param("lb")
    set_a: Selection | None = param("ga", None, SelectionCodec())
    set_b: Selection | None = param("gb", None, SelectionCodec())
    apply_to: int | None = param("to")
    alpha: float = param("alpha", 1.0, Float(3))
    compare: tuple[str, ...] = param("cmp", (), Many(max_items=3))  # models whose maps sit beside this one, linked


@dataclass(frozen=True)
class TraverseView(View):
    scope = "traverse"
    start: ImageRef | None = param("start", None, IMAGE)
    range: str = param("range", "std")
    k: float = param("k", 3.0)
    z: tuple[tuple[int, float], ...] | None = param("z", None, MOVED)  # the moved sliders (dimension, value)
    show_all: bool = param("all", False)
    rows: int | None = param("rows")
    cols: int = param("cols", 9)
    gif: int | None = param("gif")


@dataclass(frozen=True)
class InterpolateView(View):
    scope = "interpolate"
    a: ImageRef | None = param("a", None, IMAGE)
    b: ImageRef | None = param("b", None, IMAGE)
    c: ImageRef | None = param("c", None, IMAGE)
    steps: int = param("steps", 9)
    side: int = param("side", 6)
    t: float = param("t", 0.5, Float(3))
    weights: tuple[float, float, float] | None = param("w", None, WEIGHTS)  # the triangle's point


@dataclass(frozen=True)
class GenerateView(View):
    scope = "generate"
    vae: str | None = param("vae")
    ae: str | None = param("ae")
    side: int = param("side", 8)
    temperature: float = param("temperature", 1.0, Float(3))
    seed: int = param("seed", 0)
    vq: str | None = param("vq")  # the VQ-VAE whose codebook is shown
    vq_image: ImageRef | None = param("vqimg", None, IMAGE)
    cvae: str | None = param("cvae")  # the conditional VAE shown
    cvae_codes: int = param("codes", 8)
    cvae_seed: int = param("cseed", 0)
    cvae_image: ImageRef | None = param("cimg", None, IMAGE)


@dataclass(frozen=True)
class RestoreView(View):
    scope = "restore"
    kind: str = param("kind", "box")
    strength: float | None = param("strength")  # None: the corruption's own default
    fill: str = param("fill", "black")
    place: str = param("place", "random")
    top: int | None = param("top")
    left: int | None = param("left")
    mask: Bitmap | None = param("mask", None, BITMAP)  # a drawn mask (kind user_mask), at the images' size
    brush: int = param("brush", 30)
    models: tuple[str, ...] | None = param("models")  # None: the shipped denoisers that fit
    known: bool = param("known", True)
    radius: int = param("radius", 3)
    nlm_auto: bool = param("hauto", True)
    nlm_h: int = param("h", 40)
    classic: tuple[str, ...] | None = param("classic")  # None: all of them
    seed: int = param("seed", 0)
    n: int | None = param("n")  # test images scored; None: 300, or all of a smaller split
    score: str = param("score", "PSNR (dB)")


@dataclass(frozen=True)
class AnomaliesView(View):
    scope = "anomalies"
    sets: tuple[str, ...] | None = param("sets")  # None: every set on offer
    log: bool = param("log", True)
    percentile: float = param("percentile", 95.0)
    k: int = param("k", 8)


@dataclass(frozen=True)
class LessonsView(View):
    scope = "lessons"
    section: str = param("section", "pca")
    pca_d: int | None = param("d")
    pca_epochs: int | None = param("epochs")
    kmeans_k: int | None = param("k")
    kmeans_t: float = param("t", 5.0)
    sweep_size: int | None = param("size")
    copy_noise: int = param("noise", 0)
    weights_other: str | None = param("other")
    weights_tiles: int = param("units", 64)
    weights_colours: str = param("colours", "diverging")
    rate_beta: float = param("beta", 3.0)  # the beta trained on demand in "What beta trades"
    rate_point: str | None = param("point")  # the point whose KL per dimension is shown; None: beta 1's


@dataclass(frozen=True)
class ApplicationsView(View):
    scope = "applications"
    section: str = param("section", "compression")
    bits: str | None = param("bits")  # typed lists of numbers; None: the section's own
    qualities: str | None = param("qualities")
    compression_n: int = param("n", 200)
    bytes: str = param("bytes", "payload")
    thumb_model: str | None = param("thumb")
    thumb_bits: int = param("tbits", 5)
    strip: str = param("strip", "halfway between neighbours")
    line_steps: int = param("steps", 16)
    code: float | None = param("code")
    factor: int = param("factor", 2)
    superres_n: int = param("sn", 500)
    opacity: float = param("opacity", 0.6)
    watermark_n: int = param("wn", 300)
    watermark_seed: int = param("wseed", 0)


@dataclass(frozen=True)
class ClassView(View):
    """The teacher's class wall: how its tiles are sorted and which variant they show. Which students to compare
    and the page a projected model opens on are kept across pages, never in a link (nor is anything about a
    student)."""

    scope = "class"
    sort: str = param("sort", "start")  # "start" (first started first) or "loss" (lowest test loss first)
    variant: str = param("variant", "all")
    target: str = param(None, "latent")  # latent, traverse or generate
    compare: tuple[int, ...] = param(None, ())  # the compared tiles' student numbers


@dataclass(frozen=True)
class PointsCodec(Codec):
    """Points drawn on the Playground's plane, '0.12~-1.3_1.5~2' (2 decimals); None past 900 characters."""

    max_points: int = 400

    def parse(self, raw: str) -> tuple[tuple[float, float], ...]:
        parts = [p for p in _bounded(raw).split("_") if p]
        if len(parts) > self.max_points:
            raise LinkValueError(f"has more than {self.max_points} points")
        points = []
        for part in parts:
            x, tilde, y = part.partition("~")
            try:
                point = (float(x), float(y))
            except ValueError:
                raise LinkValueError(f"has a point that is not x~y ({part[:16]!r})") from None
            if not tilde or not all(abs(v) <= 100 for v in point):
                raise LinkValueError(f"has a point that is not x~y within the plane ({part[:16]!r})")
            points.append(point)
        return tuple(points)

    def format(self, value: Any) -> str | None:
        if not value:
            return None
        text = "_".join(f"{x:.2f}~{y:.2f}" for x, y in value)
        return text if len(text) <= 900 else None


@dataclass(frozen=True)
class PlaygroundView(View):
    scope = "playground"
    data: str = param("set", "spiral")
    points: tuple[tuple[float, float], ...] = param("pts", (), PointsCodec())
    n: int = param("n", 1000)
    noise: float | None = param("noise")  # None: the set's own
    seed: int = param("seed", 0)
    variant: str = param("variant", "denoising_ae")
    epochs: int | None = param("epochs")  # None: the variant's own (as the next four)
    lr: float | None = param("lr")
    sigma: float | None = param("sigma")
    beta: float | None = param("beta")
    contractive: float | None = param("contractive")
    shown: str | None = param("view")
    iterate: bool = param("iterate", False)


@dataclass(frozen=True)
class FactorsView(View):
    scope = "factors"
    start: int = param("start", 0)
    beta: float = param("beta", 8.0)
    seed: int = param("seed", 0)
    epochs: int | None = param("epochs")


def _train_view() -> type:
    """The Train form's view, one field per knob of aelab.models.knobs (its typed text; None: the variant's own
    default), the variant, the training subset, and the save name and overwrite switch, which never enter a link."""
    fields: list[tuple[str, Any, Any]] = [("variant", "str", param("variant", "ae"))]
    fields += [(k.field, "str | None", param(k.param, None, _KnobText(knob=k.field))) for k in KNOBS]
    # (choice knobs hold their choice as text too: "bce", "gaussian")
    fields += [("n_train", "str | None", param(N_TRAIN_PARAM, None, _KnobText(knob=N_TRAIN_PARAM))),
               ("name", "str | None", param(None)), ("overwrite", "bool", param(None, False)),
               ("display_name", "str | None", param(None))]  # the student's name on the class wall
    view = dataclasses.make_dataclass("TrainView", fields, bases=(View,), frozen=True, namespace={"scope": "train"})
    view.__module__ = __name__
    return view


@dataclass(frozen=True)
class _KnobText(Codec):
    """A Train form field's text as typed: read as it stands (the form checks it against the knob's range, where the
    variant and the noise type are known), written in a link only when it is a value of the knob (a half-typed
    number stays in the form, out of the address)."""

    knob: str = ""

    def parse(self, raw: str) -> str:
        text = _bounded(raw).replace(" ", "")
        return text.replace(",", ", ") if self.knob == "hidden" else text  # as the form writes sizes: 256, 128

    def format(self, value: Any) -> str | None:
        if value is None:
            return None
        text = str(value).replace(" ", "")
        try:
            if self.knob == N_TRAIN_PARAM:
                return text if int(text) >= 1 else None
            knob = KNOB_BY_FIELD[self.knob]
            if knob.field == "noise_level":  # its range is the noise type's: any strength of some type
                return text if 0 < float(text) <= 1e4 else None
            parse_knob(knob, text)
        except (ValueError, ConfigError):
            return None
        return text


TrainView = _train_view()

PAGE_VIEWS: tuple[type, ...] = (HomeView, TrainView, LatentView, TraverseView, InterpolateView, GenerateView,
                                RestoreView, AnomaliesView, ApplicationsView, LessonsView, PlaygroundView,
                                FactorsView, ClassView)
VIEWS_BY_SCOPE = {view.scope: view for view in (AppView, *PAGE_VIEWS)}
MULTI = Many()  # (the codec of the tuple[str, ...] fields, from their annotation)
