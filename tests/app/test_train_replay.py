"""AppTest of the Train page's replay map (ui/train/replay.py): after a training, each replayed epoch is a map whose
points are that epoch's frame and whose hover decodes with the model as it was then. Checked through the server's
own decode path (what the page answers the map's "decode" message with, the pixels the browser would draw before its
own decoder is up): epoch 0 decodes as the untrained model, the last epoch as the saved one. Without live decoding
the replay is the Plotly view, as before."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aelab.analysis.images import to_uint8
from aelab.library.store import load_model
from aelab.models.autoencoder import create_model
from aelab.runtime.jobs import DONE
from tests.app.test_train import latent_view_title, start_training
from tests.apptest_helpers import map_args, rerun_until, run_app, texts
from ui.train.lifecycle import job_manager
from ui.train.replay import KEY


@pytest.fixture(autouse=True)
def private_library(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "models"))
    return tmp_path / "models"


def trained(name: str):
    """A 2-latent AE trained for 3 epochs on 2,000 images in the page, finished: (AppTest, job id)."""
    at = run_app("pages/train.py")
    job_id = start_training(at, name=name, n_train=2000, epochs=3)
    at = rerun_until(at, lambda a: f"saved in your library as **{name}**" in texts(a), timeout=90)
    assert not at.exception
    return at, job_id


def server_decoded(at, code: list[float], seq: int) -> np.ndarray:
    """What the page answers the replay map's request to decode `code` (before the browser decodes itself)."""
    at.session_state[KEY] = {"n": f"decode-{seq}", "event": "decode", "decode": {"seq": seq, "batch": 1, "codes": code}}
    at.run()
    element = next(e for e in at.get("component_instance") if json.loads(e.proto.json_args).get("mode") == "map")
    args, raw = json.loads(element.proto.json_args), {s.key: s.bytes for s in element.proto.special_args}
    assert args["decoded_seq"] == seq
    height, width = args["image_size"]
    return np.frombuffer(raw["pixels"], np.uint8).reshape(height, width).astype(int)


def test_each_replayed_epoch_decodes_its_map_with_the_model_as_it_was_then(private_library):
    at, job_id = trained("replayed")
    snap = job_manager().snapshot(job_id, at.session_state["session_id"])
    assert snap.status == DONE
    frames, planes = snap.state["latent_frames"], snap.state["latent_planes"]
    saved = load_model(private_library / "replayed")
    untrained = create_model(saved.model_config, saved.train_config.seed).eval()
    code = [0.4, -0.3]

    def expected(model) -> np.ndarray:
        with torch.no_grad():
            return to_uint8(model.decode(torch.tensor([code]))[0, 0]).astype(int)

    slider = at.slider(key="replay_epoch")
    for epoch, model in ((3, saved.model), (0, untrained)):
        slider.set_value(epoch).run()
        spec = map_args(at)["spec"]
        # the map draws that epoch's frame, and a point of it decodes plane[0] + u plane[1] + v plane[2]
        assert len(spec["x"]) == len(frames[epoch]) >= 100 and np.allclose(spec["x"], frames[epoch][:, 0], atol=1e-4)
        assert np.allclose(spec["origin"], planes[epoch][0]) and np.allclose(spec["axes"], planes[epoch][1:])
        assert spec["thumbs"]["n"] == len(frames[epoch])
        pixels = server_decoded(at, code, seq=10 + epoch)
        assert np.abs(pixels - expected(model)).max() <= 2  # (epoch 0's decoder was kept in float16)
    assert np.abs(expected(saved.model) - expected(untrained)).max() > 10  # 5x the float16 tolerance: two models
    assert np.abs(server_decoded(at, code, seq=20) - expected(saved.model)).max() > 10  # (and epoch 0 is not saved)


def test_without_live_decoding_the_replay_is_the_plotly_view(monkeypatch):
    monkeypatch.setenv("AELAB_LIVE", "0")
    at, _ = trained("replayed-plotly")
    assert map_args(at) is None
    at.slider(key="replay_epoch").set_value(0).run()
    assert "untrained model" in latent_view_title(at)


def test_a_sessions_earlier_training_drops_its_decoders_once_another_starts():
    """A class server keeps 200 finished jobs: the page's earlier training, no longer drawn, keeps its frames but not
    its epochs' decoders."""
    at, first = trained("first-run")
    manager, me = job_manager(), at.session_state["session_id"]
    assert len(manager.snapshot(first, me).state["replay_decoders"]) == 4
    second = start_training(at, name="second-run", n_train=2000, epochs=3)
    assert second != first
    at = rerun_until(at, lambda a: manager.snapshot(second, me).status == DONE, timeout=90)
    assert "replay_decoders" not in manager.snapshot(first, me).state
    assert manager.snapshot(first, me).state["latent_frames"]  # (the rest stays)
    assert len(manager.snapshot(second, me).state["replay_decoders"]) == 4
