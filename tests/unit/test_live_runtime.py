"""The live decoder's browser runtime files (ui/components/live_decoder/frontend): the vendored onnxruntime-web is what
its manifest says (the .wasm.gz unpacks to npm's .wasm, byte for byte), and warmup.onnx is a decoder the runtime can
warm up on (scripts/warmup_decoder.py writes it). The runtime itself is exercised in Chromium by
tests/e2e/test_live_*.py."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

FRONTEND = Path(__file__).resolve().parents[2] / "ui" / "components" / "live_decoder" / "frontend"
VENDOR = FRONTEND / "vendor"


def test_the_vendored_files_are_those_of_the_manifest():
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    on_disk = {p.name for p in VENDOR.iterdir()} - {"manifest.json", "LICENSE"}
    assert on_disk == set(manifest["files"]), "re-vendor with scripts/vendor_frontend.sh"
    for name, entry in manifest["files"].items():
        data = (VENDOR / name).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"], name
    [(name, entry)] = manifest["unpacked"].items()
    wasm = gzip.decompress((VENDOR / f"{name}.gz").read_bytes())
    assert wasm[:4] == b"\0asm" and len(wasm) == entry["bytes"]
    assert hashlib.sha256(wasm).hexdigest() == entry["sha256"]  # npm's own file, unpacked in the page


def test_the_warm_up_model_is_a_decoder_of_two_numbers():
    session = ort.InferenceSession((FRONTEND / "warmup.onnx").read_bytes(), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["z"] and [o.name for o in session.get_outputs()] == ["x_hat"]
    [x_hat] = session.run(None, {"z": np.zeros((3, 2), np.float32)})  # runtime.js WARMUP: latentDim 2
    assert x_hat.shape == (3, 1, 8, 8) and np.isfinite(x_hat).all()
