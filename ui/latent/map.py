"""The Latent page's WebGL map: every encoded test image drawn by the live decoder's "map" view (frontend/map.js,
regl-scatterplot), coloured by label or reconstruction error, with pan, zoom and lasso, and a panel that decodes
the point under the cursor in the browser. What a map point decodes: on raw axes and PCA the same affine map as the
live plane's (aelab.analysis.maps.plane_basis: the code itself; the code mean + the PCA inverse); on UMAP, which
has no inverse, a small network learned from the map's points to their codes when the map is first shown
(aelab.analysis.inverse, seconds), exported to ONNX chained with the decoder, so the browser feeds it (u, v).

`latent_map` returns False when the page should draw its Plotly map instead (no live decoding on this server or
browser, no WebGL): the page then says why in one line. The map's colouring,
camera and selection are the Latent view's fields, so they survive other pages and travel in links.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from aelab.analysis.latent import Projection
from aelab.analysis.maps import plane_basis, plane_range
from aelab.views.values import Selection
from ui.common import cache, present
from ui.common.view_state import Bound
from ui.common.widgets import PALETTE, UNLABELLED_COLOUR
from ui.components import live_decoder as live

KEY = "latent_map"
NO_WEBGL_KEY = "latent_map_no_webgl"  # the browser's reason, once it said it has no WebGL (this session)
COLOURINGS = {"label": "Label", "error": "Reconstruction MSE"}  # and "z1".."zd": one latent dimension's value
LINK = "latent"  # the BroadcastChannel of the page's maps (a hover shows each model's reconstruction of that image)
THUMB_MIN_PX = 14  # images replace the dots once the points' typical spacing is this many pixels on screen
FIND_PX = 2.5 * THUMB_MIN_PX  # Find image zooms until that spacing is this many pixels: the images are the marks
FIND_KEY = "latent_map_find"  # the "Find image" box (an action, not view state: it sets the selection and camera)
# Viridis at 8 even steps: a sequential scale that stays ordered for the common colour-vision deficiencies and in grey
VIRIDIS = ["#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725"]


@dataclass(frozen=True)
class MapPoints:
    """What the map draws: coords (n, 2) on the map's axes, labels (n,), errors (n,) per image, indices (n,)."""

    coords: np.ndarray
    labels: np.ndarray
    errors: np.ndarray
    indices: np.ndarray
    class_names: tuple[str, ...]
    codes: np.ndarray | None = None  # (n, d): what "colour by one latent dimension" reads


def browser_has_webgl() -> bool:
    """False once this session's browser said it has no WebGL (the Plotly map then draws SVG only)."""
    return not st.session_state.get(NO_WEBGL_KEY)


def fallback_reason(record, projection: Projection) -> str | None:
    """Why the page draws its Plotly map instead of the WebGL one, or None when the WebGL map can be drawn."""
    if st.session_state.get(NO_WEBGL_KEY):
        return st.session_state[NO_WEBGL_KEY]
    return live.unavailable_reason(record)


def colourings(latent_dim: int) -> dict[str, str]:
    """What the map can be coloured by: label, reconstruction error, or one latent dimension's value (z1..zd)."""
    return {**COLOURINGS, **{f"z{k + 1}": f"Latent dimension z{k + 1}" for k in range(latent_dim)}}


def _binned(values: np.ndarray, unit: str) -> tuple[list[int], list[str], list[list[str]]]:
    """Values in 8 viridis bins of equal width between their 1st and 99th percentiles (a few outliers do not squash
    the scale), with a legend of every other edge and the last one, which names the unit."""
    low, high = np.quantile(values, [0.01, 0.99]) if len(values) else (0.0, 1.0)
    if high <= low:
        high = low + 1e-6
    edges = np.linspace(low, high, len(VIRIDIS) + 1)
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(VIRIDIS) - 1)
    legend = [[f"{edges[i]:.3g}", VIRIDIS[i]] for i in range(0, len(VIRIDIS), 2)] + \
             [[f"{edges[-1]:.3g} ({unit})", VIRIDIS[-1]]]
    return bins.astype(int).tolist(), VIRIDIS, legend


def colour_codes(colouring: str, points: MapPoints) -> tuple[list[int], list[str], list[list[str]]]:
    """Each point's colour index, the colours, and the legend [(name, colour)]: labels on the palette (Paul Tol's
    muted, colour-blind safe; unlabelled grey); reconstruction errors or one latent dimension's values (z3) on
    viridis, a sequential scale that stays ordered for the common colour-vision deficiencies and in grey."""
    if colouring == "error":
        return _binned(points.errors, "MSE")
    if colouring.startswith("z") and colouring[1:].isdigit() and points.codes is not None \
            and 1 <= int(colouring[1:]) <= points.codes.shape[1]:
        return _binned(points.codes[:, int(colouring[1:]) - 1], colouring)
    codes = [int(v) % len(PALETTE) if v >= 0 else len(PALETTE) for v in points.labels]
    present = sorted({int(v) for v in points.labels})
    names = points.class_names
    legend = [[names[v] if 0 <= v < len(names) else ("unlabelled" if v < 0 else str(v)),
               PALETTE[v % len(PALETTE)] if v >= 0 else UNLABELLED_COLOUR] for v in present]
    return codes, [*PALETTE, UNLABELLED_COLOUR], legend


def find_zoom(points: MapPoints, height: int) -> float:
    """The zoom at which the map's typical spacing between points is FIND_PX on screen (images are the marks)."""
    low, high = plane_range(points.coords)
    return max(2.0, FIND_PX * (high - low) / (typical_spacing(points.coords) * height))


def find_image(view: Bound, dataset_name: str, points: MapPoints, height: int) -> None:
    """The "Find image" box: a test image's index selects it (today's panels show it) and centres the map on it,
    zoomed in. The box empties itself afterwards, so the same index can be found again after panning away."""
    last = len(points.indices) - 1
    found = st.number_input(f"Find image (index 0-{last:,})", min_value=0, max_value=last, value=None, step=1,
                            key=FIND_KEY, placeholder="an index, then Enter",
                            help="Selects that image and centres the map on it")
    if found is None:
        return
    del st.session_state[FIND_KEY]
    row = int(np.flatnonzero(points.indices == int(found))[0])
    view.put("selection", Selection(dataset_name, (int(points.indices[row]),)))
    view.put("camera", (float(points.coords[row, 0]), float(points.coords[row, 1]), find_zoom(points, height)))
    st.rerun()


def point_size(n: int) -> float:
    """Pixels per point: smaller as the map fills, so clusters keep their shape at 70,000 points."""
    return 6 if n <= 2000 else 4 if n <= 20000 else 2.5


def map_spec(view_state, origin: np.ndarray, axes: np.ndarray, points: MapPoints, titles: tuple[str, str],
             height: int, marks: tuple = ()) -> dict:
    """The map view's JSON: points, colours, legend, what a map point (u, v) gives the model (origin + u axes[0] +
    v axes[1]), the kept camera and selection, and marks drawn over the points ([u, v, name]: a drawn digit)."""
    low, high = plane_range(points.coords)
    colours, palette, legend = colour_codes(view_state.colour, points)
    chosen = set(view_state.selection.indices) if view_state.selection else set()
    return {"height": height, "extent": [low, high, low, high], "origin": origin.tolist(), "axes": axes.tolist(),
            "x": np.round(points.coords[:, 0], 5).tolist(), "y": np.round(points.coords[:, 1], 5).tolist(),
            "c": colours, "colours": palette, "legend": legend, "index": points.indices.tolist(),
            "point_size": point_size(len(points.coords)), "xlabel": titles[0], "ylabel": titles[1],
            "selected": [int(i) for i in points.indices if int(i) in chosen],
            "camera": list(view_state.camera) if view_state.camera else None,
            "marks": [[round(float(m.x), 5), round(float(m.y), 5), m.name] for m in marks],
            "spacing": typical_spacing(points.coords), "thumb_min_px": THUMB_MIN_PX,
            "hint": "Drag to pan, scroll to zoom; hover anywhere to decode that point. Lasso select: the button, "
                    "or shift + drag."}


def _pixels_blob(kind: str, images) -> live.Blob:
    """Images (n, 1, H, W) in [0, 1] as uint8 pixels (n, H, W), named by their content (the same images give the same
    hash in any session, so a browser that has them never gets them again)."""
    data = np.ascontiguousarray((images[:, 0].numpy().clip(0, 1) * 255).round().astype(np.uint8)).tobytes()
    return live.Blob(f"{kind}-{hashlib.sha256(data).hexdigest()[:24]}", data)


# (the images are cut from the dataset inside: an argument would be copied on every rerun, 220 MB at 70,000 points)
@st.cache_resource(show_spinner=False, max_entries=4)
def _thumbnails(key: str, _dataset, _indices: np.ndarray) -> live.Blob:
    return _pixels_blob("thumbs", _dataset.x_test[_indices])


@st.cache_resource(show_spinner="Reconstructing the map's images...", max_entries=8)
def _reconstructions(key: str, _record, _dataset, _indices: np.ndarray) -> live.Blob:
    from aelab.analysis.latent import reconstruct

    return _pixels_blob("recons", reconstruct(_record.model, _dataset.x_test[_indices]))


def thumbnails(dataset, points: MapPoints) -> live.Blob:
    """The thumbnails of the map's points, in the map's order (the test images it draws)."""
    return _thumbnails(_points_key(dataset, points), dataset, points.indices)


def reconstructions(record, dataset, points: MapPoints) -> live.Blob:
    """The model's reconstructions of the map's points, in the map's order (what a linked hover shows)."""
    return _reconstructions(f"{cache.key(record, dataset)}|{_points_key(dataset, points)}", record, dataset,
                            points.indices)


def _points_key(dataset, points: MapPoints) -> str:
    return f"{dataset.identity}|{len(points.indices)}|{points.indices[-1] if len(points.indices) else 0}"


def typical_spacing(coords: np.ndarray) -> float:
    """The median distance from a point to its nearest neighbour on the map (map units): how far the map must be
    zoomed before images fit as marks without hiding each other. Kept per map (its coordinates' digest): a k-d tree
    of 70,000 points takes ~85 ms, and every rerun of the page draws the map again."""
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    return _spacing(hashlib.sha256(coords.tobytes()).hexdigest(), coords)


@st.cache_data(show_spinner=False, max_entries=32)
def _spacing(digest: str, _coords: np.ndarray) -> float:
    if len(_coords) < 2:
        return 1.0
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(_coords).query(_coords, k=2)
    spacing = float(np.median(distances[:, 1]))
    return spacing if spacing > 0 else float(np.mean(distances[:, 1])) or 1.0


@st.cache_resource(show_spinner=False, max_entries=16)
def _map_decoder(key: str, _record, _inverse) -> bytes:
    """The inverse chained with the decoder, as ONNX (keyed by the weights digest and the map's own digest)."""
    from aelab.export.onnx import map_decoder_onnx

    return map_decoder_onnx(_record.model, _inverse)


def learned_inverse(record, dataset, projection: Projection, z: np.ndarray):
    """The map's learned inverse (aelab.analysis.inverse.InverseFit), fitted once per map in the process-wide result
    store (a map's coordinates and codes name it)."""
    from aelab.analysis.inverse import fit_inverse, inverse_from_arrays

    shipped = inverse_from_arrays(projection.params["inverse"]) if "inverse" in projection.params else None
    if shipped is not None:  # fitted when the map was built (build-pretrained, a training job): nothing to wait for
        return shipped
    identity = cache.identity(record, dataset)
    key = (projection.method, hashlib.sha256(np.ascontiguousarray(projection.coords).tobytes()).hexdigest()[:16])
    with st.spinner("Learning this map's inverse (map point -> code)...", show_time=True):
        return cache.result_store().get_or_compute(identity, "map_inverse", key,
                                                   lambda: fit_inverse(projection.coords, z))


def map_model(record, dataset, projection: Projection, z: np.ndarray):
    """(the LiveModel the map decodes with, origin, axes, what the page says): the decoder itself on raw axes and PCA;
    on UMAP the learned inverse chained with it, fed (u, v) as its 2-number "code"."""
    model = live.live_model(record)
    if projection.method != "umap":
        origin, axes, says = plane_basis(projection, z)
        return model, origin, axes, says.replace("Hover the plane", "Hover the map")
    fit = learned_inverse(record, dataset, projection, z)
    digest = hashlib.sha256(np.ascontiguousarray(projection.coords).tobytes()).hexdigest()[:16]
    key = f"{model.hash}-map-{digest}"
    inverse, decoder = fit.inverse, record.model

    def server_decode(uv: np.ndarray) -> np.ndarray:
        from aelab.analysis.inverse import invert
        return live.server_decode(decoder, invert(inverse, uv))

    chained = live.LiveModel(key, _map_decoder(key, record, inverse), 2, model.image_size, decode=server_decode)
    says = (f"UMAP has no inverse of its own: a small network learned from this map's {fit.n_train:,} points to "
            f"their codes (it leaves {fit.heldout_error:.0%} of the codes' variance on {fit.n_heldout} held-out "
            "points) turns the hovered point into a code, decoded in your browser.")
    return chained, np.zeros(2, np.float32), np.eye(2, dtype=np.float32), says


def latent_map(view: Bound, record, dataset, projection: Projection, z: np.ndarray, points: MapPoints,
               titles: tuple[str, str], height: int, marks: tuple = (), *, key: str = KEY, title: str | None = None,
               linked: bool = False) -> bool:
    """Draw the WebGL map; False when the page must draw its Plotly map instead (fallback_reason says why). A lasso
    made on it becomes the view's selection at once (this run's panels show it).

    key: KEY for the page's own map (its colouring, camera and Find box are the view's); another key draws a map
    of a compared model (title: its name) that shares the view's selection and colouring. linked: the page shows
    several maps: each also gets its model's reconstructions of the images, and a hover on one map shows every
    map's model's reconstruction of that image (the frames talk over a BroadcastChannel, in the browser)."""
    if fallback_reason(record, projection) is not None:
        return False
    main, dataset_name = key == KEY, dataset.name
    model, origin, axes, says = map_model(record, dataset, projection, z)
    if main:
        view.value("camera", check=lambda c: None if c[2] > 0 else "is not a zoom (it must be above 0)",
                   fallback_text="the whole map")  # (a link's camera is checked here, before the map reads it)
    message = live.released(key, model)
    if message is not None:
        if isinstance(message.get("nowebgl"), str):
            st.session_state[NO_WEBGL_KEY] = message["nowebgl"][:200]
            st.rerun()  # the Plotly map, with the one line that says why
        if isinstance(message.get("selection"), list):
            chosen = tuple(dict.fromkeys(int(i) for i in message["selection"] if isinstance(i, int)
                                         and 0 <= i < len(points.indices)))
            view.put("selection", Selection(dataset_name, chosen) if chosen else None)
            if not main:
                st.rerun()  # every map, the page's first, shows the new selection
        camera = message.get("camera")
        if main and isinstance(camera, list) and len(camera) == 3 and all(isinstance(v, (int, float)) for v in camera) \
                and all(np.isfinite(camera)) and camera[2] > 0:
            view.put("camera", tuple(float(v) for v in camera))
    if main:
        options = colourings(z.shape[1])
        left, right = st.columns([3, 2])
        view.selectbox("colour", "Colour by", list(options), key="latent_map_colour", format_func=options.get,
                       where=left)
        with right:
            find_image(view, dataset_name, points, height)
    shown = view.view if main else dataclasses.replace(view.view, camera=None)
    spec = map_spec(shown, origin, axes, points, titles, height, marks)
    blobs = [thumbnails(dataset, points)]
    spec["thumbs"] = {"hash": blobs[0].hash, "n": len(points.indices), "height": int(dataset.x_test.shape[2]),
                      "width": int(dataset.x_test.shape[3])}
    if linked:
        blobs.append(reconstructions(record, dataset, points))
        spec.update(link=LINK, recons={"hash": blobs[1].hash}, title=title)
    frame = present.main_picture() if main else contextlib.nullcontext()
    with frame, st.container(key=f"{key}_frame"):  # (presenting: the page's map is the picture measured first)
        live.live_decoder(key, "map", spec, model, blobs=tuple(blobs))
    if main:
        st.caption(says.replace("in your browser", "in your browser (the panel by the cursor)"))
    return True
