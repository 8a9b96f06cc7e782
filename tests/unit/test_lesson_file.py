"""Lesson files (aelab.export.lesson): what each page's file holds, that it can load nothing and run nothing but its
own script, that its embedded decoder is the model's and its runtime the vendored one, that its view reads back as a
link does (and nothing else in a file is read), who needs --allow-private-data, and the CLI's one-line errors.
Opening the files in a browser is tests/e2e/test_lesson_file.py's."""
from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import json
from functools import lru_cache
from html.parser import HTMLParser

import numpy as np
import onnxruntime as ort
import pytest
import torch

from aelab.analysis.paths import sample_prior
from aelab.cli.main import main
from aelab.data.dataset import Dataset
from aelab.export.lesson import (
    MAX_VIEW_BLOCK,
    PAGES,
    READ_PREFIX,
    VIEW_OPEN,
    LessonError,
    build_lesson,
    private_data,
    read_lesson_view,
)
from aelab.export.onnx import decoder_onnx
from aelab.library.store import load_model
from aelab.resources import live_decoder_root, pretrained_root
from aelab.views.base import parse_query
from aelab.views.pages import TraverseView

HOSTILE = '</script><script>alert(1)</script><img src="https://example.org/x.png"> & "quotes"'


class Document(HTMLParser):
    """Every element's tag and attributes, and the text of each <script> by its id (or by its type)."""

    def __init__(self, text: str):
        super().__init__()
        self.elements, self.scripts, self._open = [], {}, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "script":
            self._open = attrs.get("id") or attrs.get("type")
            self.scripts[self._open] = ("", attrs)

    def handle_data(self, data):
        if self._open is not None:
            text, attrs = self.scripts[self._open]
            self.scripts[self._open] = (text + data, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


@lru_cache(maxsize=1)
def _dataset():
    from aelab.data.sources import load_dataset

    return load_dataset("mnist-5k")


@lru_cache(maxsize=4)
def _record(name: str):
    return load_model(pretrained_root() / name, pretrained=True)


@lru_cache(maxsize=16)
def _lesson(page: str, query: str = "", model: str = "vae", **texts) -> tuple[bytes, Document]:
    view, problems = parse_query(PAGES[page], query)
    assert problems == []
    data = build_lesson(page, view, _record(model), _dataset(), model_key=f"pretrained/{model}", **texts)
    return data, Document(data.decode())


def _part(document: Document, name: str) -> bytes:
    text, attrs = document.scripts[name]
    data = base64.b64decode(text)
    return gzip.decompress(data) if attrs["data-encoding"] == "gzip" else data


def _lesson_json(document: Document) -> dict:
    return json.loads(document.scripts["aelab-lesson"][0])


# ------------------------------------------------------------------------------------------------ what it holds
def test_a_traverse_lesson_holds_the_view_the_decoder_and_the_runtime_as_vendored():
    data, document = _lesson("traverse", "start=test:3&z=z9:0.5")
    lesson, said = _lesson_json(document), json.loads(document.scripts["aelab-view"][0])
    assert said["page"] == "traverse" and said["app"] == "data=mnist-5k&model=pretrained%2Fvae"
    assert parse_query(TraverseView, said["view"]) == parse_query(TraverseView, "start=test:3&z=z9:0.5")
    spec = lesson["sections"][0]["spec"]
    record, x = _record("vae"), _dataset().x_test[3:4]
    z0 = record.model.encode(x)[0].detach()
    expected = [float(v) for v in z0]
    expected[8] = 0.5  # z9 moved, every other dimension on the start image's code
    assert np.allclose(spec["code"], expected, atol=1e-6) and spec["code"][8] == 0.5
    assert len(spec["dims"]) == 8 and all(lo <= c <= hi for lo, c, hi in zip(spec["lows"], spec["code"], spec["highs"]))
    assert _part(document, "aelab-model") == decoder_onnx(record.model)
    manifest = json.loads((live_decoder_root() / "vendor" / "manifest.json").read_text())
    vendored = {**manifest["files"], **manifest["unpacked"]}  # (the .wasm is vendored gzipped; embedded as it is)
    for name, file_name in (("aelab-ort", "ort.wasm.min.mjs"), ("aelab-ort-glue", "ort-wasm-simd-threaded.mjs"),
                            ("aelab-ort-wasm", "ort-wasm-simd-threaded.wasm")):
        assert hashlib.sha256(_part(document, name)).hexdigest() == vendored[file_name]["sha256"]
    assert _part(document, "aelab-modes") == (live_decoder_root() / "modes.js").read_bytes()


def test_the_traverse_lesson_of_the_shipped_vae_is_at_most_8_mb():
    data, _ = _lesson("traverse")
    assert len(data) <= 8_000_000, f"{len(data):,} bytes"


def test_the_embedded_decoder_draws_what_torch_decodes_for_each_page():
    """The file's own ONNX, run by onnxruntime on the codes its views start from, against the model's decode."""
    record = _record("vae")
    for page, query in (("traverse", "all=1"), ("interpolate", "t=0.25"), ("generate", "side=4&seed=7"),
                        ("latent", "")):
        _, document = _lesson(page, query)
        session = ort.InferenceSession(_part(document, "aelab-model"), providers=["CPUExecutionProvider"])
        for section in _lesson_json(document)["sections"]:
            spec = section["spec"]
            codes = {"sliders": lambda s: [s["code"]],
                     "scrub": lambda s: [(1 - s["t"]) * np.array(s["anchors"][0]) + s["t"] * np.array(s["anchors"][1])],
                     "triangle": lambda s: [np.array(s["weights"]) @ np.array(s["anchors"])],
                     "grid": lambda s: np.array(s["eps"]) * s["temperature"],
                     "plane": lambda s: [np.array(s["origin"]) + np.array(s["start"]) @ np.array(s["axes"])],
                     }[section["mode"]](spec)
            z = np.asarray(codes, dtype=np.float32)
            shown = session.run(["x_hat"], {"z": z})[0]
            expected = record.model.decode(torch.from_numpy(z)).detach().numpy()
            assert np.abs(shown - expected).max() < 1e-5, (page, section["mode"])


def test_generate_keeps_the_same_noise_and_names_its_vae():
    _, document = _lesson("generate", "side=4&seed=7&temperature=0.7")
    spec = _lesson_json(document)["sections"][0]["spec"]
    assert np.allclose(spec["eps"], sample_prior(16, 16, 1.0, 7).numpy()) and spec["temperature"] == 0.7
    assert "vae=pretrained%2Fvae" in json.loads(document.scripts["aelab-view"][0])["view"]


def test_interpolate_defaults_are_the_pages_and_a_latent_lesson_carries_the_maps_points():
    _, document = _lesson("interpolate")
    scrub, triangle = (s["spec"] for s in _lesson_json(document)["sections"])
    z = _record("vae").model.encode(_dataset().x_test[:2]).detach().numpy()
    assert np.allclose(scrub["anchors"], z, atol=1e-6) and scrub["t"] == 0.5
    assert np.allclose(triangle["weights"], [1 / 3] * 3)
    _, document = _lesson("latent", "points=500")
    plane = _lesson_json(document)["sections"][0]["spec"]
    assert len(plane["x"]) == len(plane["y"]) == len(plane["c"]) == 500


# ------------------------------------------------------------------------------------- loads and runs nothing
def test_the_page_can_load_nothing_and_runs_only_its_own_script():
    data, document = _lesson("traverse", title=HOSTILE, caption=HOSTILE)
    csp = next(attrs["content"] for tag, attrs in document.elements
               if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src" not in csp  # (default-src 'none' covers fetch and XHR)
    runnable = [(text, attrs) for key, (text, attrs) in document.scripts.items()
                if attrs.get("type") in (None, "module", "text/javascript")]
    assert len(runnable) == 1
    digest = base64.b64encode(hashlib.sha256(runnable[0][0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    for tag, attrs in document.elements:  # no element loads anything: no src, href, srcset or action
        assert not {"src", "href", "srcset", "action", "poster"} & set(attrs), (tag, attrs)
    assert [tag for tag, _ in document.elements].count("img") == 0  # the hostile caption is text
    assert b"&lt;/script&gt;&lt;script&gt;alert(1)" in data and b"</script><script>alert(1)" not in data


def test_a_title_or_caption_that_is_too_long_is_refused():
    view, _ = parse_query(TraverseView, "")
    with pytest.raises(LessonError, match="title"):
        build_lesson("traverse", view, _record("conv_ae"), _dataset(), title="x" * 201)


# ------------------------------------------------------------------------------------------------ reading back
def test_the_view_reads_back_as_text_and_the_title_as_written():
    data, _ = _lesson("traverse", "start=test:3&k=2", title=HOSTILE)
    said = read_lesson_view(data)
    assert (said.page, said.title) == ("traverse", HOSTILE)
    assert parse_query(TraverseView, said.view)[0] == parse_query(TraverseView, "start=test:3&k=2")[0]


@pytest.mark.parametrize("content, why", [
    (b"", "not an aelab lesson file"),
    (b"<html><body>hello</body></html>" * 10, "not an aelab lesson file"),
    (b"\x00\xff" * 50_000, "not an aelab lesson file"),
    (b" " * READ_PREFIX + VIEW_OPEN.encode() + b'{"format": 1}</script>', "not an aelab lesson file"),
    (VIEW_OPEN.encode() + b" " * MAX_VIEW_BLOCK + b"</script>", "not an aelab lesson file"),
    (VIEW_OPEN.encode() + b"{not json</script>", "not readable JSON"),
    (VIEW_OPEN.encode() + b"[1, 2]</script>", "another format"),
    (VIEW_OPEN.encode() + b'{"format": 2, "page": "traverse"}</script>', "another format"),
    (VIEW_OPEN.encode() + b'{"format": 1, "page": "train", "view": "", "app": "", "title": ""}</script>', "no page"),
    (VIEW_OPEN.encode() + b'{"format": 1, "page": "traverse", "view": 3, "app": "", "title": ""}</script>', "no page"),
    (VIEW_OPEN.encode() + b'{"format": 1, "page": "traverse", "view": "' + b"k" * 2001
     + b'", "app": "", "title": ""}</script>', "longer than any"),
])
def test_anything_else_is_refused_in_one_sentence(content, why):
    with pytest.raises(LessonError, match=why):
        read_lesson_view(content)


# ------------------------------------------------------------------------------------------------ private data
def _upload(mnist5k, name: str = "class-photos.npz") -> Dataset:
    return Dataset(name, mnist5k.x_train[:40], mnist5k.y_train[:40], mnist5k.x_test[:20], mnist5k.y_test[:20],
                   mnist5k.class_names)


def test_private_data_names_an_upload_and_a_model_trained_on_one(mnist5k):
    record = _record("ae")
    assert private_data(record, mnist5k) is None
    assert "class-photos.npz" in private_data(record, _upload(mnist5k))
    trained_on_upload = dataclasses.replace(record, dataset="class-photos.npz")
    assert "may have memorised" in private_data(trained_on_upload, mnist5k)


def test_the_cli_needs_a_flag_for_private_data(tmp_path, capsys, mnist5k):
    upload = tmp_path / "class-photos.npz"
    np.savez(upload, x=(mnist5k.x_test[:50, 0].numpy() * 255).astype(np.uint8), y=mnist5k.y_test[:50].numpy())
    out = tmp_path / "lesson.html"
    args = ["lesson", "conv_ae", "--page", "interpolate", "--data", str(upload), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: this lesson file would carry images of class-photos.npz") and err.count("\n") == 1
    assert not out.exists()
    assert main([*args, "--allow-private-data"]) == 0 and read_lesson_view(out.read_bytes()).page == "interpolate"


# ------------------------------------------------------------------------------------------------ the CLI
def test_the_cli_writes_what_build_lesson_writes(tmp_path, capsys):
    out = tmp_path / "t.html"
    assert main(["lesson", "vae", "--page", "traverse", "--view", "start=test:3&z=z9:0.5", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}")
    assert out.read_bytes() == _lesson("traverse", "start=test:3&z=z9:0.5")[0]


@pytest.mark.parametrize("args, says", [
    (["--view", "start=test:abc"], "error: --view: start=test:abc is not a valid value"),
    (["--view", "colour=red"], "error: --view: colour= is not a setting of this page"),
    (["--view", "start=test:5000"], "error: start=test:5000 is not a test image of mnist-5k"),
    (["--view", "z=z99:1"], "error: z= names a dimension vae does not have (z99)"),
    (["--view", "z=z1:1000"], "error: z= puts z1 out of its range"),
    (["--view", "k=" + "9" * 3000], "error: --view: the view is longer than 2000 characters"),
    (["--page", "train"], "error: --page train is not a page with lesson files"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, capsys, args, says):
    out = tmp_path / "bad.html"
    base = {"--page": "traverse"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    assert main(["lesson", "vae", *[x for pair in base.items() for x in pair], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1, err
    assert not out.exists()


def test_a_conditional_model_is_bound_to_one_class(tmp_path, capsys):
    """The CLI binds it to --class as the app binds it to the sidebar's; unbound, its decoder would need a class."""
    view, _ = parse_query(PAGES["generate"], "")
    with pytest.raises(LessonError, match="conditional"):
        build_lesson("generate", view, _record("cvae"), _dataset())
    files = [tmp_path / f"class{label}.html" for label in (0, 3)]
    for label, out in zip((0, 3), files):
        assert main(["lesson", "cvae", "--page", "generate", "--class", str(label), "--out", str(out)]) == 0
    assert _part(Document(files[0].read_text()), "aelab-model") != _part(Document(files[1].read_text()), "aelab-model")
    assert main(["lesson", "cvae", "--page", "generate", "--class", "10", "--out", str(tmp_path / "x.html")]) == 2
    assert capsys.readouterr().err.endswith("error: --class 10: cvae has classes 0 to 9.\n")
