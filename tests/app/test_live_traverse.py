"""AppTest of Traverse with the live decoder (the browser's side is simulated by writing the component's value):
the page hands the component the model's hash and no bytes until the browser asks, then the ONNX decoder once (which
onnxruntime runs to the same pixels as torch); until the browser decodes, the server decodes the codes it sends (the
pixels torch gives) and ignores malformed requests; a released slider becomes the server's code; a browser without
WebAssembly, AELAB_LIVE=0 and a model that cannot be exported all fall back to the server path with one notice."""
from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort  # noqa: E402 (a test dependency: these tests must fail, not skip, without it)
import pytest
import torch

from aelab.analysis.images import to_uint8
from aelab.analysis.latent import decode, encode_dataset
from aelab.data.sources import load_dataset
from aelab.export import onnx
from aelab.export.onnx import ExportError
from aelab.library.store import load_model
from aelab.runtime.identity import weights_digest
from tests.apptest_helpers import REPO, run_app, texts
from ui.components import live_decoder

PAGE = "pages/traverse.py"
KEY = "traverse_live"
NOTICE_START = "Live decoding is off:"


@pytest.fixture(autouse=True)
def private_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path))
    monkeypatch.delenv("AELAB_LIVE", raising=False)


def component(at):
    """(JSON arguments, {bytes argument name: bytes}) of the page's live decoder."""
    [element] = [e for e in at.get("component_instance") if e.proto.id.endswith(KEY)]
    return json.loads(element.proto.json_args), {s.key: s.bytes for s in element.proto.special_args}


def notices(at) -> list[str]:
    return [line for line in texts(at).split("\n") if line.startswith(NOTICE_START)]


def latent_sliders(at) -> list:
    return [s for s in at.slider if s.key.startswith("traverse_z")]


def test_the_model_travels_only_when_the_browser_asks_for_its_hash():
    at = run_app(PAGE, model_key="pretrained/vae")
    args, extra = component(at)
    model = load_model(REPO / "pretrained" / "vae").model
    assert args["hash"].endswith(weights_digest(model)) and args["model"] is None and not extra
    assert args["mode"] == "sliders" and args["scale"] * 28 >= 280 and not latent_sliders(at) and not notices(at)

    at.session_state[KEY] = {"event": "need", "hash": args["hash"], "n": "tab1-1"}
    at.run()
    _, extra = component(at)
    session = ort.InferenceSession(extra["model"], providers=["CPUExecutionProvider"])
    z = torch.randn(5, 16, generator=torch.Generator().manual_seed(1))
    assert np.abs(session.run(None, {"z": z.numpy()})[0] - model.decode(z).detach().numpy()).max() <= 1e-5

    at.run()  # the same request is answered once: the browser keeps the bytes (IndexedDB)
    assert not component(at)[1]
    at.session_state[KEY] = {"event": "need", "hash": "onnx17-someone-elses", "n": "tab1-2"}
    at.run()  # a hash that is not this page's model gets nothing
    assert not component(at)[1]


def test_until_the_browser_decodes_the_server_decodes_what_it_sends():
    at = run_app(PAGE, model_key="pretrained/vae")
    args, extra = component(at)
    assert args["decoded_seq"] is None and not extra
    model = load_model(REPO / "pretrained" / "vae").model
    codes = torch.randn(3, 16, generator=torch.Generator().manual_seed(2))
    # A decode request that also still waits for the model's bytes (it replaced the "need" message): both answered
    at.session_state[KEY] = {"event": "decode", "need": args["hash"], "n": "tab1-1",
                             "decode": {"seq": 7, "batch": 3, "codes": codes.flatten().tolist()}}
    at.run()
    args, extra = component(at)
    assert args["decoded_seq"] == 7 and "model" in extra
    pixels = np.frombuffer(extra["pixels"], dtype=np.uint8).reshape(3, 28, 28)
    assert np.array_equal(pixels, to_uint8(decode(model, codes)[:, 0]))

    at.run()  # answered once
    args, extra = component(at)
    assert args["decoded_seq"] is None and not extra
    for n, bad in enumerate([{"seq": 8, "batch": 2, "codes": codes.flatten().tolist()},  # 48 numbers for 2 x 16
                             {"seq": 9, "batch": 1, "codes": [float("nan")] * 16},
                             {"seq": 10, "batch": 10_000, "codes": [0.0] * 160_000},
                             {"seq": "11", "batch": 1, "codes": [0.0] * 16},
                             {"seq": 12, "batch": 1, "codes": ["0"] * 16}]):
        at.session_state[KEY] = {"event": "decode", "decode": bad, "n": f"tab1-bad{n}"}
        at.run()
        assert not at.exception and component(at)[0]["decoded_seq"] is None, bad


def test_a_released_slider_becomes_the_servers_code_and_reset_brings_z0_back():
    at = run_app(PAGE, model_key="pretrained/vae")
    args, _ = component(at)
    spec = args["spec"]
    code, top = list(spec["code"]), spec["dims"][0]
    code[top] = spec["highs"][top] - 0.25
    at.session_state[KEY] = {"event": "release", "code": code, "dim": top, "n": "tab1-7"}
    at.run()
    assert not at.exception
    assert component(at)[0]["spec"]["code"][top] == pytest.approx(code[top])
    assert component(at)[0]["spec"]["source"] == "tab1-7"  # the browser knows this code is its own release
    assert f"moved: z{top + 1} = {code[top]:.3f}" in texts(at)  # dims are 0-based, names 1-based

    x0 = load_dataset("mnist-5k").x_test[:1]
    model = load_model(REPO / "pretrained" / "vae").model
    z0 = encode_dataset(model, x0)[0]
    at.button(key="traverse_reset").click().run()
    assert component(at)[0]["spec"]["code"] == pytest.approx(z0.tolist(), abs=1e-6)
    assert component(at)[0]["spec"]["source"] is None  # the server's own code: the browser follows it
    assert "no slider moved yet" in texts(at)
    assert decode(model, z0[None]).shape == (1, 1, 28, 28)


def test_a_browser_without_webassembly_gets_the_server_sliders_and_one_notice():
    at = run_app(PAGE, model_key="pretrained/vae")
    at.session_state[KEY] = {"event": "unavailable", "reason": "this browser has no WebAssembly", "n": "tab1-1"}
    at.run()
    assert not at.exception
    assert notices(at) == ["Live decoding is off: this browser has no WebAssembly. Each change is decoded on the "
                           "server instead."]
    assert len(latent_sliders(at)) == 8 and not [e for e in at.get("component_instance") if e.proto.id.endswith(KEY)]


def test_switched_off_on_the_server(monkeypatch):
    monkeypatch.setenv("AELAB_LIVE", "0")
    at = run_app(PAGE, model_key="pretrained/ae")
    assert len(notices(at)) == 1 and "AELAB_LIVE=0" in notices(at)[0] and len(latent_sliders(at)) == 8


def test_a_model_that_cannot_be_exported_takes_the_server_path(monkeypatch):
    def refuse(model):
        raise ExportError("ONNX export failed: RuntimeError: an operator ONNX lacks")

    live_decoder._export.clear()
    monkeypatch.setattr(onnx, "decoder_onnx", refuse)
    try:
        at = run_app(PAGE, model_key="pretrained/ae")
        [notice] = notices(at)
        assert "ae could not be exported (ONNX export failed: RuntimeError: an operator ONNX lacks)" in notice
        top = latent_sliders(at)[0]
        top.set_value(round(top.max - 0.01, 2)).run()  # the page keeps working on the server path
        assert not at.exception and "moved: " in texts(at)
    finally:
        live_decoder._export.clear()


def test_a_model_the_browser_cannot_load_takes_the_server_path_alone():
    at = run_app(PAGE, model_key="pretrained/vae")
    failed_hash = component(at)[0]["hash"]
    at.session_state[KEY] = {"event": "unavailable", "hash": failed_hash, "n": "tab1-3",
                             "reason": "the model would not load in the browser (no such operator)"}
    at.run()
    assert notices(at) == ["Live decoding is off: the model would not load in the browser (no such operator). "
                           "Each change is decoded on the server instead."]
    at.session_state["pending_model_key"] = "pretrained/ae"  # another model is still decoded live
    at.run()
    assert not notices(at) and component(at)[0]["hash"] != failed_hash and not latent_sliders(at)
