"""The live decoder: a Streamlit component that runs the current model's decoder in the browser (onnxruntime-web,
WebAssembly, one thread) so an image follows the mouse while a slider is dragged or the plane hovered, and that
reports to Python only what the user released, so the server's state stays the truth.

How a model reaches the page, and only that page: every render passes the model's content hash (its weights digest
plus the export's version). The browser looks for it in its own memory and IndexedDB; when it lacks it, it asks
("need"), and the next run sends the ONNX bytes as a bytes argument of this component, over the session's own
connection. Never through a URL (Streamlit's static folder is public to every session), never on every rerun.

Until the browser can decode (its runtime compiling, the model on its way), the server decodes what it asks for
("decode": codes in, uint8 pixels out, answered in the component's own fragment), so a slider is never dead; its
canvas says which is drawing (data-live="server", then "ready").

Where live decoding cannot run (no WebAssembly in the browser, a model that cannot be exported), `unavailable_reason`
says why in one line and the page uses its server path. The browser files (index.html, live.js, modes.js, runtime.js:
the runtime and its loading, reusable on its own, and the vendored onnxruntime-web under frontend/vendor, re-vendored
by scripts/vendor_frontend.sh) are served by Streamlit from frontend/ like any component's. Importing this module
imports no torch (Home imports it to preload the runtime); exporting and decoding do.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import streamlit.components.v1 as components

from aelab.runtime.identity import weights_digest
from ui.common.view_store import fragment

FRONTEND = Path(__file__).parent / "frontend"
_component = components.declare_component("live_decoder", path=str(FRONTEND))
NO_WASM_KEY = "live_decoder_unavailable"  # the browser's reason, once it said it cannot run the decoder
FAILED_KEY = "live_decoder_failed"  # model hash -> why the browser could not load or run that model
_HANDLED_KEY = "live_decoder_handled"  # component key -> id of the last browser message acted on
_SEND_KEY = "live_decoder_send"  # component keys whose browser asked for the model's bytes in this run
_DECODE_KEY = "live_decoder_decode"  # component key -> (seq, codes) the browser asked the server to decode
_BLOB_KEY = "live_decoder_blob"  # component key -> the hash of the Blob its browser asked for in this run
MAX_BATCH = 256  # codes in one server decode (Generate's grid asks for its few dozen at once)
DISPLAY_PX = 280  # the smallest side of a decoded picture, seen from the back of a room
NOTICE = "Live decoding is off: {reason}. Each change is decoded on the server instead."

# Runs in Streamlit's page itself (components.v2: no frame) and starts the runtime there (frontend/runtime.js
# keepRuntime: kept on that window for every live decoder of the tab). Its URL is resolved as Streamlit resolves a
# component's files: under the app's root, found from Streamlit's entry script (right under a baseUrlPath too).
_PRELOAD_JS = """
export default function(component) {
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  const root = entry ? new URL("../../", entry.src) : new URL("./", document.baseURI);
  import(new URL(component.data, root).href)
    .then((runtime) => runtime.keepRuntime())
    .catch(() => { /* the live decoder compiles it itself, and says so if it cannot */ });
}
"""
_preload = st.components.v2.component("aelab_live_runtime", js=_PRELOAD_JS)
# The preloader's empty element takes no room (a style-only st.html takes none either)
_PRELOAD_CSS = "<style>.st-key-aelab_live_runtime { display: none !important; }</style>"


@dataclass(frozen=True)
class LiveModel:
    """A decoder ready for the browser: hash names its bytes (the same weights give the same hash in any session)."""

    hash: str
    onnx: bytes
    latent_dim: int
    image_size: tuple[int, int]
    # codes (B, latent_dim) float32 -> pixels (B, H, W) uint8: the server's decode, until the browser's is ready
    decode: Callable[[np.ndarray], np.ndarray] = field(compare=False, repr=False, default=None)


@dataclass(frozen=True)
class Blob:
    """Bytes a view needs beside the model (the map's thumbnails), sent like the model: the browser keeps them by
    hash (IndexedDB) and asks for them only when it lacks them, so they travel once per browser, not per rerun."""

    hash: str
    data: bytes = field(repr=False)


def model_digest(record) -> str:
    """The weights digest of a ModelRecord: the record's own when it carries one, else computed here."""
    digest = getattr(record, "weights_digest", None)
    return digest if isinstance(digest, str) else weights_digest(record.model)


@st.cache_resource(show_spinner=False, max_entries=32)
def _export(digest: str, _model) -> tuple[bytes | None, str | None]:
    """The decoder's ONNX bytes, or the reason it could not be exported (kept too, so a failing model is not
    exported again on every rerun). Keyed by the weights digest: a process-wide cache that only a session holding
    those very weights can hit."""
    from aelab.export import onnx  # (torch: only where a page decodes)

    try:
        return onnx.decoder_onnx(_model), None
    except onnx.ExportError as err:
        return None, str(err)


def server_decode(model, codes: np.ndarray) -> np.ndarray:
    """codes (B, latent_dim) -> (B, H, W) uint8, as the browser would draw them (aelab.analysis.images.to_uint8)."""
    import torch

    from aelab.analysis.images import to_uint8
    from aelab.analysis.latent import decode

    with torch.no_grad():
        return to_uint8(decode(model, torch.from_numpy(codes))[:, 0])


def live_model(record) -> LiveModel | str:
    """The record's decoder for the browser, or the one-line reason it cannot have one."""
    from aelab.export.onnx import OPSET

    digest = model_digest(record)
    onnx, error = _export(digest, record.model)
    if onnx is None:
        return f"{record.name} could not be exported ({error})"
    config = record.model_config
    model = record.model
    return LiveModel(f"onnx{OPSET}-{digest}", onnx, config.latent_dim, tuple(config.image_size),
                     decode=lambda codes: server_decode(model, codes))


def unavailable_reason(record) -> str | None:
    """None when the page can decode live; otherwise why not, in a few words. AELAB_LIVE=0 switches live decoding
    off for a whole server (old browsers in a class; the benchmarks of the server path)."""
    if os.environ.get("AELAB_LIVE", "1") == "0":
        return "it is switched off on this server (AELAB_LIVE=0)"
    if st.session_state.get(NO_WASM_KEY):
        return st.session_state[NO_WASM_KEY]
    model = live_model(record)
    if isinstance(model, str):
        return model
    return st.session_state.get(FAILED_KEY, {}).get(model.hash)


def preload_runtime() -> None:
    """Have the browser start the live decoder's runtime now (app.py calls it as a page with a live decoder begins,
    so the runtime compiles, and warms up on the model this browser used last, while the sidebar and the page
    compute; nothing is shown). Once per tab: the runtime is kept across reruns and page changes. Drawn in the
    sidebar, not the page, whose layout its empty element would shift."""
    if os.environ.get("AELAB_LIVE", "1") != "0":
        with st.sidebar:
            st.html(_PRELOAD_CSS)
            _preload(key="aelab_live_runtime", data=f"component/{_component.name}/runtime.js", height=0)


def notice(reason: str) -> None:
    """The one line a page shows when it falls back to the server path."""
    st.caption(NOTICE.format(reason=reason.rstrip(".")), help="The live decoder runs the model in the browser with "
               "onnxruntime-web (WebAssembly); without it every slider step is a round trip to the server.")


def display_scale(image_size: tuple[int, int], at_least: int = DISPLAY_PX) -> int:
    """Whole-pixel upscaling that makes the larger side at least `at_least` px (10 for 28x28, 35 for 8x8)."""
    return max(1, -(-at_least // max(image_size)))


def _decode_request(request, model: LiveModel) -> tuple[int, np.ndarray] | None:
    """A browser's "decode" field as (seq, codes (B, latent_dim) float32), or None when it is not a well-formed one
    (the browser's message is input like any other: sizes are checked before anything is allocated)."""
    if not isinstance(request, dict) or not isinstance(request.get("seq"), int):
        return None
    batch, codes = request.get("batch"), request.get("codes")
    if not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH or not isinstance(codes, list):
        return None
    if len(codes) != batch * model.latent_dim or not all(isinstance(v, (int, float)) for v in codes):
        return None
    if not all(math.isfinite(v) for v in codes):
        return None
    return request["seq"], np.asarray(codes, dtype=np.float32).reshape(batch, model.latent_dim)


def _take_requests(key: str, value: dict, model: LiveModel) -> None:
    """What a browser message asks the component's next draw for: the model's bytes, a server decode."""
    if value.get("need") == model.hash or (value.get("event") == "need" and value.get("hash") == model.hash):
        st.session_state.setdefault(_SEND_KEY, set()).add(key)
    wanted = value.get("blob")
    wanted = [wanted] if isinstance(wanted, str) else wanted
    if isinstance(wanted, list):  # (answered only for the hashes of this run's Blobs)
        st.session_state.setdefault(_BLOB_KEY, {})[key] = tuple(h for h in wanted[:8] if isinstance(h, str))
    request = _decode_request(value.get("decode"), model)
    if request is not None:
        st.session_state.setdefault(_DECODE_KEY, {})[key] = request


def released(key: str, model: LiveModel) -> dict[str, Any] | None:
    """Read the browser's latest message for the component `key`, once (each has a fresh id "n"). Call it before
    drawing the component: returns what the user released (a dict: code, t, weights, temperature or point), for
    the page to make its state; a request for the model's bytes or a server decode is remembered for live_decoder to
    answer; a browser that cannot decode switches the session to the server path (and reruns)."""
    value = st.session_state.get(key)
    if not isinstance(value, dict) or "n" not in value:
        return None
    handled = st.session_state.setdefault(_HANDLED_KEY, {})
    if handled.get(key) == value["n"]:
        return None
    handled[key] = value["n"]
    _take_requests(key, value, model)
    event = value.get("event")
    if event == "unavailable":
        reason = str(value.get("reason") or "the browser cannot run it")[:200]
        if value.get("hash"):  # this model only
            st.session_state.setdefault(FAILED_KEY, {})[str(value["hash"])] = reason
        else:
            st.session_state[NO_WASM_KEY] = reason
        st.rerun()
    return value if event == "release" else None


def live_decoder(key: str, mode: str, spec: dict[str, Any], model: LiveModel, *, scale: int | None = None,
                 blobs: tuple[Blob, ...] = ()) -> None:
    """Draw the component (call `released(key, model)` first in the same run). blobs: bytes the view needs beside
    the model, named by hash in its spec; sent (as blob_0, blob_1... with their blob_hashes) only in the render
    after the browser asked for them.

    mode: sliders | plane | scrub | triangle | grid (see frontend/modes.js) | map (frontend/map.js); spec: that
    view's JSON-ready settings.
    A change of spec other than its current value (code, source, t, weights, temperature, pinned, start, selected,
    camera) rebuilds the view; a change of the value moves the view there."""
    _live_fragment(key, mode, spec, model, scale, blobs)


@fragment
def _live_fragment(key: str, mode: str, spec: dict[str, Any], model: LiveModel, scale: int | None,
                   blobs: tuple[Blob, ...] = ()) -> None:
    """The component in a fragment of its own, so that what the browser says reruns only this: a request for the
    model's bytes (the first visit of a browser that lacks them) or a server decode (before the browser decodes) is
    answered here without running the whole page again (measured: the page's second run was 0.15-0.25 s of a first
    visit); a release or a failure needs the page (its state, its server path) and reruns the app. In a full run,
    released() has already read the message."""
    value = st.session_state.get(key)
    handled = st.session_state.setdefault(_HANDLED_KEY, {})
    if isinstance(value, dict) and "n" in value and handled.get(key) != value["n"]:
        if value.get("event") in ("release", "unavailable"):
            st.rerun()  # the page's released() acts on it
        handled[key] = value["n"]
        _take_requests(key, value, model)
    asked = st.session_state.get(_SEND_KEY, set())
    send = model.onnx if key in asked else None
    asked.discard(key)
    asked_blobs = st.session_state.get(_BLOB_KEY, {}).pop(key, ())
    sending = [blob for blob in blobs if blob.hash in asked_blobs]
    seq, pixels = None, None
    request = st.session_state.get(_DECODE_KEY, {}).pop(key, None)
    if request is not None and model.decode is not None:
        seq, pixels = request[0], model.decode(request[1]).tobytes()
    value_keys = {"code", "source", "t", "weights", "temperature", "pinned", "start", "selected", "camera"}
    layout = json.dumps({k: v for k, v in spec.items() if k not in value_keys}, sort_keys=True)
    _component(key=key, mode=mode, spec=spec, hash=model.hash, model=send, latent_dim=model.latent_dim,
               image_size=list(model.image_size), scale=scale or display_scale(model.image_size),
               decoded_seq=seq, pixels=pixels, blob_hashes=[blob.hash for blob in sending],
               **{f"blob_{i}": blob.data for i, blob in enumerate(sending)},
               layout=f"{mode}|{model.hash}|{hashlib.sha1(layout.encode()).hexdigest()[:16]}", default=None)
