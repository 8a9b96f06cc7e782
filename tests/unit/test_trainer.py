"""The Trainer: the same weights as the loop it drives, its callbacks' order, stopping from a callback, going on
for more epochs, and the one history schema whoever trains (CLI, job, lessons)."""
from __future__ import annotations

import json

import pytest
import torch

from aelab.errors import TrainingError
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.history import KEYS
from aelab.train.loop import train
from aelab.train.trainer import EVENTS, Trainer
from tests.patches import diverge_at_step

pytestmark = pytest.mark.usefixtures("single_thread")
SMALL = {"hidden": (32,), "latent_dim": 4}


def _configs(name="ae", **train):
    return make_configs(name, model=SMALL, train={"device": "cpu", "batch_size": 64, **train})


def _weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _without_seconds(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in entry.items() if k != "seconds"} for entry in history]


@pytest.fixture
def data(mnist5k):
    return mnist5k.x_train[:192].clone(), mnist5k.x_test[:64].clone()  # 3 steps of 64 per epoch


def _recorder(trainer: Trainer) -> list[tuple]:
    """Every event as (event, epoch, step) of the trainer's progress when it fired."""
    seen: list[tuple] = []
    for event in EVENTS:
        trainer.add_callback(event, lambda t, event=event: seen.append(
            (event, t.progress.epoch if t.progress else 0, t.progress.step if t.progress else 0)))
    return seen


# ---- the same weights as the loop -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vae", "denoising_ae"])  # z sampled, inputs corrupted: both draw randomness
def test_the_trainer_gives_bitwise_the_weights_of_the_loop_it_drives(name, data):
    x, x_val = data
    model_config, train_config = _configs(name, epochs=3, seed=5)
    direct = create_model(model_config, seed=5)
    for _ in train(direct, x, train_config, x_val):
        pass
    wrapped = create_model(model_config, seed=5)
    trainer = Trainer(wrapped, x, train_config, x_val)
    _recorder(trainer)  # callbacks that look at the run do not change it
    trainer.run()
    assert _same(_weights(direct), _weights(wrapped))
    other = create_model(model_config, seed=5)
    Trainer(other, x, make_configs(name, model=SMALL, train={"device": "cpu", "batch_size": 64, "epochs": 3,
                                                               "seed": 6})[1], x_val).run()
    assert not _same(_weights(direct), _weights(other))  # the comparison can tell runs apart


# ---- callbacks ------------------------------------------------------------------------------------------------


def test_events_come_in_order_with_the_progress_they_describe(data):
    x, x_val = data
    model_config, train_config = _configs(epochs=2)
    trainer = Trainer(create_model(model_config), x, train_config, x_val)
    seen = _recorder(trainer)
    epoch_records = []
    trainer.add_callback("on_epoch_end", lambda t: epoch_records.append(dict(t.history[-1])))
    trainer.run()
    assert seen == [("on_train_start", 0, 0),
                    ("on_step_end", 1, 1), ("on_step_end", 1, 2), ("on_step_end", 1, 3), ("on_epoch_end", 1, 3),
                    ("on_step_end", 2, 4), ("on_step_end", 2, 5), ("on_step_end", 2, 6), ("on_epoch_end", 2, 6),
                    ("on_train_end", 2, 6)]
    assert [(r["epoch"], r["step"]) for r in epoch_records] == [(1, 3), (2, 6)]  # the record is there when it fires
    assert not trainer.cancelled and not trainer.model.training


def test_an_unknown_event_is_refused_with_the_valid_ones():
    model_config, train_config = _configs()
    with pytest.raises(ValueError, match="on_epoch_end"):
        Trainer(create_model(model_config), torch.zeros(4, 1, 28, 28), train_config).add_callback("epoch_end", print)


def test_a_callback_that_stops_training_ends_it_after_that_step(data):
    x, x_val = data
    model_config, train_config = _configs(epochs=5)
    trainer = Trainer(create_model(model_config), x, train_config, x_val)
    seen = _recorder(trainer)
    trainer.add_callback("on_step_end", lambda t: t.stop() if t.progress.step == 4 else None)
    trainer.run()
    steps = [s for e, _, s in seen if e == "on_step_end"]
    assert steps == [1, 2, 3, 4] and seen[-1][0] == "on_train_end"  # stopped inside epoch 2; the end still told
    assert trainer.cancelled and [h["epoch"] for h in trainer.history] == [1]
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters()) and not trainer.model.training


def test_stopping_at_the_last_epochs_end_is_not_a_cancel_but_earlier_is(data):
    x, _ = data
    model_config, train_config = _configs(epochs=2)
    for stop_at, cancelled in ((1, True), (2, False)):
        trainer = Trainer(create_model(model_config), x, train_config)
        trainer.add_callback("on_epoch_end", lambda t, stop_at=stop_at: t.stop() if t.epochs_done == stop_at else None)
        assert trainer.run().cancelled is cancelled and trainer.epochs_done == stop_at


def test_should_stop_from_outside_cancels_before_the_next_step(data):
    x, _ = data
    model_config, train_config = _configs(epochs=3)
    steps = []
    trainer = Trainer(create_model(model_config), x, train_config, should_stop=lambda: len(steps) >= 5)
    trainer.add_callback("on_step_end", lambda t: steps.append(t.progress.step)).run()
    assert steps == [1, 2, 3, 4, 5] and trainer.cancelled and trainer.epochs_done == 1


def test_divergence_raises_without_telling_the_end_and_keeps_the_last_finite_weights(data, monkeypatch):
    x, _ = data
    diverge_at_step(monkeypatch, 4)  # the fourth step's loss is inf
    model_config, train_config = _configs(epochs=3)
    trainer = Trainer(create_model(model_config), x, train_config)
    seen = _recorder(trainer)
    snapshots = []
    trainer.add_callback("on_step_end", lambda t: snapshots.append(_weights(t.model)))
    with pytest.raises(TrainingError, match="step 4"):
        trainer.run()
    assert [e for e, _, _ in seen].count("on_train_end") == 0 and trainer.epochs_done == 1
    assert _same(_weights(trainer.model), snapshots[-1])


def test_a_closed_form_fit_is_one_epoch_without_steps(data):
    x, x_val = data
    model_config, train_config = make_configs("pca", model={"latent_dim": 3})
    trainer = Trainer(create_model(model_config), x, train_config, x_val)
    seen = _recorder(trainer)
    trainer.run()
    assert [e for e, _, _ in seen] == ["on_train_start", "on_epoch_end", "on_train_end"]
    (record,) = trainer.history
    assert tuple(record) == KEYS and record["epoch"] == 1 and record["step"] == 0
    assert list(record["train"]) == list(record["val"]) == ["mse"] and 0 < record["val"]["mse"] < 0.1


# ---- going on ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vae", "denoising_ae"])
def test_n_epochs_then_one_more_is_n_plus_one_epochs_in_one_run(name, data):
    x, x_val = data
    model_config, train_config = _configs(name, epochs=3, seed=2)
    at_once = Trainer(create_model(model_config, seed=2), x, train_config, x_val).run()
    in_steps = Trainer(create_model(model_config, seed=2), x, train_config, x_val)
    in_steps.run(2)
    assert in_steps.epochs_done == 2 and not in_steps.cancelled
    seen = _recorder(in_steps)
    in_steps.run(in_steps.epochs_done + 1)
    assert [(e, s) for e, _, s in seen if e != "on_train_start"] == [
        ("on_step_end", 7), ("on_step_end", 8), ("on_step_end", 9), ("on_epoch_end", 9), ("on_train_end", 9)]
    assert _same(_weights(at_once.model), _weights(in_steps.model))
    assert _without_seconds(at_once.history) == _without_seconds(in_steps.history)
    assert in_steps.progress.total_steps == 9 and in_steps.progress.fraction == 1.0


# ---- one history schema -----------------------------------------------------------------------------------------


def _check_schema(history: list[dict], epochs: int, with_val: bool) -> None:
    assert [tuple(entry) for entry in history] == [KEYS] * epochs
    for entry in history:
        assert isinstance(entry["epoch"], int) and isinstance(entry["step"], int) and entry["step"] > 0
        assert set(entry["train"]) >= {"recon", "total"} and isinstance(entry["seconds"], float)
        assert (set(entry["val"]) == set(entry["train"])) if with_val else entry["val"] is None


def test_the_history_has_one_schema_in_the_cli_the_job_and_the_lessons(mnist5k, tmp_path, monkeypatch):
    from aelab.cli.main import main
    from aelab.lessons import basics, copying
    from aelab.library.store import load_model
    from aelab.runtime.executors import ThreadExecutor
    from aelab.runtime.jobs import DONE, JobManager
    from aelab.train.job import TrainingRequest
    from aelab.train.remote import training_work

    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    assert main(["train", "--variant", "ae", "--data", "digits", "--out", str(tmp_path / "cli-ae"), "--latent-dim",
                 "4", "--hidden", "16", "--epochs", "2", "--device", "cpu"]) == 0
    cli = json.loads((tmp_path / "cli-ae" / "history.json").read_text())
    _check_schema(cli, 2, with_val=True)

    model_config, train_config = _configs(epochs=2)
    request = TrainingRequest(variant="ae", model_config=model_config, train_config=train_config,
                              dataset=mnist5k.name, x_train=mnist5k.x_train[:192], x_val=mnist5k.x_test[:64],
                              preview_x=mnist5k.x_test[:2], latent_x=mnist5k.x_test[:20],
                              latent_y=mnist5k.y_test[:20], save_name="job-ae", library_root=tmp_path)
    manager = JobManager(max_running=1)
    job_id = manager.submit("alice", "schema", training_work(request, ThreadExecutor()))
    assert manager.wait(job_id, timeout=120) == DONE
    snap = manager.snapshot(job_id, "alice")
    _check_schema(snap.state["history"], 2, with_val=True)
    assert load_model(snap.result.saved_path).history == snap.state["history"] == snap.result.history

    linear = basics.linear_ae_trainer(mnist5k.x_train[:192], 4, train_changes={"epochs": 2}).run()
    copy = copying.copy_trainer(copying.COPY_MODELS[0], mnist5k.x_train[:192])
    copy.run(2)
    for history in (linear.history, copy.history):
        _check_schema(history, 2, with_val=False)
