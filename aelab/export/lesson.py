"""A lesson file: one self-contained HTML page that shows a page's view and decodes it live, from disk, offline (view +
model + data -> HTML bytes); and the reading of its view back, for the app to open that view again.

What the file holds: the page's view as link text (aelab.views; read back with parse_query, like a link), the
sections its viewer draws (aelab/export/lesson_specs.py), the model's decoder as ONNX, onnxruntime-web and the
live decoder's views (modes.js), both as the app serves them (aelab.resources.live_decoder_root), and the viewer
(aelab/export/viewer/). Binary parts are base64, gzip -9 compressed unless compress=False (the 14.2 MB .wasm becomes
3.7 MB; the page inflates it with DecompressionStream). A Content-Security-Policy in the page allows no request at
all: its one inline script (by hash), blob: modules made from the file's own bytes, data: images, WebAssembly.

Nothing read from a lesson file is ever run: read_lesson_view takes the small JSON block in its <head>, bounded in
size, and hands back text that the app parses as it parses a link.
"""
from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import html
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import aelab
from aelab.export import lesson_specs
from aelab.export.lesson_specs import LessonError, display_scale
from aelab.export.onnx import decoder_onnx
from aelab.resources import live_decoder_root
from aelab.views.base import MAX_QUERY, query_text
from aelab.views.pages import AppView, GenerateView, InterpolateView, LatentView, TraverseView

FORMAT = 1
PAGES = {"traverse": TraverseView, "interpolate": InterpolateView, "generate": GenerateView, "latent": LatentView}
VIEWER = Path(__file__).parent / "viewer"
# The vendored runtime (the .wasm is vendored gzip -9 compressed: the app's live decoder inflates it as it compiles)
RUNTIME_FILES = {"aelab-ort": "ort.wasm.min.mjs", "aelab-ort-glue": "ort-wasm-simd-threaded.mjs",
                 "aelab-ort-wasm": "ort-wasm-simd-threaded.wasm.gz"}
VIEW_OPEN = '<script type="application/json" id="aelab-view">'  # the block read back, in the <head>
READ_PREFIX = 65_536  # bytes of an uploaded file searched for that block (it sits in the first kilobytes)
MAX_VIEW_BLOCK = 8_192
MAX_TITLE, MAX_CAPTION = 200, 2_000
CSP = ("default-src 'none'; script-src '{script}' blob: 'wasm-unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class LessonView:
    """What a lesson file says it shows, read back as text: its page, its view and the sidebar's (link text)."""

    page: str
    view: str
    app: str
    title: str


def private_data(record, dataset) -> str | None:
    """Why a lesson of this model on this dataset would carry someone's own data (None: only shipped or
    downloadable sources): the images it embeds, and a decoder that may have memorised what it was trained on."""
    from aelab.data.sources import list_sources

    named = {source.name for source in list_sources()}
    reasons = []
    if not dataset.named_source:
        reasons.append(f"images of {dataset.name}, data that was uploaded rather than shipped with aelab")
    if record.dataset not in named:
        reasons.append(f"the decoder of {record.name}, trained on {record.dataset or 'data of its own'}, which may "
                       "have memorised those images")
    return " and ".join(reasons) or None


def build_lesson(page: str, view, record, dataset, *, model_key: str | None = None, data_key: str | None = None,
                 title: str | None = None, caption: str | None = None, compress: bool = True) -> bytes:
    """The lesson file of `view` (the page's view, as the app keeps it) shown with record's model on dataset.

    model_key / data_key: how the app names them ("pretrained/vae", "upload:x.npz"), written in the file so the
    app can open the view again; a named source's data_key is its name. title, caption: the teacher's (None: the
    page's own). Raises LessonError for a view this model or data cannot show."""
    if page not in PAGES or not isinstance(view, PAGES[page]):
        raise LessonError(f"no lesson file for page {page!r} with a {type(view).__name__} (pages: "
                          f"{', '.join(PAGES)})")
    if getattr(record.model, "conditional", False):  # its decoder would need a class the file does not carry
        raise LessonError(f"{record.name} is a conditional model: bind it to one class first (the app's sidebar "
                          "class, the CLI's --class).")
    sections = lesson_specs.PAGES[page](view, record, dataset)
    default_title, default_caption = lesson_specs.default_text(page, record)
    title, caption = (default_title if title is None else title), (default_caption if caption is None else caption)
    if len(title) > MAX_TITLE or len(caption) > MAX_CAPTION:
        raise LessonError(f"the title is at most {MAX_TITLE} characters and the caption {MAX_CAPTION}.")
    if page == "generate" and model_key:  # the grid's VAE, named as the page names it
        view = dataclasses.replace(view, vae=model_key)
    config = record.model_config
    lesson = {"format": FORMAT, "page": page, "scale": display_scale(tuple(config.image_size)),
              "model": {"name": record.name, "latent_dim": config.latent_dim, "image_size": list(config.image_size)},
              "sections": [{"heading": s.heading, "text": s.text, "mode": s.mode, "spec": s.spec,
                            "images": [{"caption": c, "png": base64.b64encode(png).decode()} for c, png in s.images]}
                           for s in sections]}
    data_key = dataset.name if dataset.named_source else data_key
    said = {"format": FORMAT, "page": page, "view": query_text(view), "title": title,
            "app": query_text(AppView(data=data_key, model=model_key))}
    about = (f"{record.name}: {record.variant}, {config.latent_dim} latent dimensions, trained on "
             f"{record.dataset or 'its own data'}. Decoded in this page by onnxruntime-web; made with aelab "
             f"{aelab.__version__}.")
    parts = {"aelab-model": decoder_onnx(record.model)}
    return _document(title, caption, about, said, lesson, parts, compress).encode()


# ------------------------------------------------------------------------------------------------ the document
def _document(title: str, caption: str, about: str, said: dict, lesson: dict, parts: dict[str, bytes],
              compress: bool) -> str:
    assets = _assets(compress)
    script = assets["script"]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    embedded = "\n".join([*assets["embedded"], *(_embed(name, data, compress) for name, data in parts.items())])
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP.format(script=f'sha256-{digest}')}">
<meta name="generator" content="aelab {html.escape(aelab.__version__)}">
<title>{html.escape(title)}</title>
{VIEW_OPEN}{_json(said)}</script>
<style>
{assets["style"]}
</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="lesson-caption">{html.escape(caption)}</p>
<p class="lesson-about">{html.escape(about)}</p>
<p id="aelab-status">Opening the lesson...</p>
<noscript><p>This lesson needs JavaScript to decode its pictures.</p></noscript>
</header>
<main id="aelab-main"></main>
<footer>
<details><summary>Licences of the software inside this file</summary><pre>{html.escape(assets["licence"])}</pre>
</details>
</footer>
<script type="application/json" id="aelab-lesson">{_json(lesson)}</script>
{embedded}
<script type="module">{script}</script>
</body>
</html>
"""


def _json(value) -> str:
    """JSON that cannot close its <script> element or start markup: <, > and & escaped as JSON escapes."""
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError as err:  # a NaN code (a broken model) would not parse in the page
        raise LessonError(f"the view holds a value that is not a finite number ({err}).") from None
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _embed(name: str, data: bytes, compress: bool, gzipped: bool = False) -> str:
    """One embedded file: base64 (gzip -9 first when compress; data already gzip -9 when gzipped) in an element the
    browser never runs."""
    if gzipped and not compress:
        data, gzipped = gzip.decompress(data), False
    payload = data if gzipped else gzip.compress(data, 9, mtime=0) if compress else data
    return (f'<script type="application/octet-stream" id="{name}" data-encoding="{"gzip" if compress else "none"}">'
            f'{base64.b64encode(payload).decode()}</script>')


@lru_cache(maxsize=2)
def _assets(compress: bool) -> dict:
    """The files every lesson embeds, read and (the first time per process) compressed once: the runtime checked
    against its vendoring manifest, the live decoder's views and style, the viewer, the licences."""
    root = live_decoder_root()
    vendor = root / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text())
    embedded = []
    for name, file_name in RUNTIME_FILES.items():
        data = (vendor / file_name).read_bytes()
        if hashlib.sha256(data).hexdigest() != manifest["files"][file_name]["sha256"]:
            raise LessonError(f"{file_name} differs from the vendored onnxruntime-web {manifest['version']} "
                              "(re-vendor it with scripts/vendor_frontend.sh).")
        embedded.append(_embed(name, data, compress, gzipped=file_name.endswith(".gz")))
    embedded.append(_embed("aelab-modes", (root / "modes.js").read_bytes(), compress))
    script = (VIEWER / "lesson.js").read_text()
    style = (root / "live.css").read_text() + "\n" + (VIEWER / "lesson.css").read_text()
    if "</" in script or "</" in style:  # they are inlined: nothing in them may end their element
        raise LessonError("the viewer's script or style holds '</' and cannot be inlined.")
    licence = f"onnxruntime-web {manifest['version']}\n\n{(vendor / 'LICENSE').read_text()}"
    return {"embedded": embedded, "script": script, "style": style, "licence": licence}


# ------------------------------------------------------------------------------------------------ reading back
def read_lesson_view(data: bytes) -> LessonView:
    """The view a lesson file says it shows, from the JSON block in its first kilobytes (nothing else is read, and
    nothing is run). Raises LessonError for anything that is not an aelab lesson file of a known page."""
    text = data[:READ_PREFIX].decode("utf-8", errors="replace")
    start = text.find(VIEW_OPEN)
    end = text.find("</script>", start) if start >= 0 else -1
    if start < 0 or end < 0 or end - start > MAX_VIEW_BLOCK:
        raise LessonError("this is not an aelab lesson file (it has no lesson view in its first kilobytes).")
    try:
        said = json.loads(text[start + len(VIEW_OPEN):end])
    except ValueError:
        raise LessonError("this lesson file's view is not readable JSON.") from None
    if not isinstance(said, dict) or said.get("format") != FORMAT:
        raise LessonError(f"this lesson file is of another format than this aelab reads ({FORMAT}).")
    fields = {name: said.get(name) for name in ("page", "view", "app", "title")}
    if not all(isinstance(value, str) for value in fields.values()) or fields["page"] not in PAGES:
        raise LessonError(f"this lesson file names no page aelab saves lessons of ({', '.join(PAGES)}).")
    if max(len(fields["view"]), len(fields["app"])) > MAX_QUERY or len(fields["title"]) > MAX_TITLE:
        raise LessonError("this lesson file's view is longer than any aelab writes.")
    return LessonView(**fields)
