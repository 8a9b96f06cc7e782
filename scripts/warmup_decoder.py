"""Write the live decoder's warm-up model, ui/components/live_decoder/frontend/warmup.onnx: a tiny untrained decoder
(2 numbers -> 8x8 pixels, 3.5 KB) exported by aelab.export like every live decoder.

Why: onnxruntime-web's first session of a page costs ~0.5-1 s (its start-up code, which V8 compiles on first call),
whatever the model; the second ~20-50 ms (measured in Chromium here). A page with a live decoder decodes this model
once while the page still computes (frontend/runtime.js keepRuntime), when the browser has no model of its own to
warm up with (a first visit), so the real model's session is quick when its bytes arrive.

Usage: .venv/bin/python scripts/warmup_decoder.py   (tests/unit/test_live_runtime.py checks the file it writes)
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aelab.export.onnx import decoder_onnx  # noqa: E402
from aelab.models.autoencoder import create_model  # noqa: E402
from aelab.models.variants import make_configs  # noqa: E402

TARGET = REPO / "ui" / "components" / "live_decoder" / "frontend" / "warmup.onnx"
IMAGE_SIZE, LATENT_DIM, HIDDEN = (8, 8), 2, (4,)


def warmup_decoder() -> bytes:
    model_config, _ = make_configs("ae", IMAGE_SIZE, {"latent_dim": LATENT_DIM, "hidden": HIDDEN})
    return decoder_onnx(create_model(model_config, 0))


if __name__ == "__main__":
    TARGET.write_bytes(warmup_decoder())
    print(f"wrote {TARGET.relative_to(REPO)} ({TARGET.stat().st_size} bytes)")
