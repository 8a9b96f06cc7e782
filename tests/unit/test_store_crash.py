"""A save killed at any step leaves a loadable library holding the old or the new model, recovered at the next
listing, with no staging folders left (aelab.library.staging).

Fault injection: one subprocess imports the store and forks a child per step k; the child patches every file
operation a save makes (mkdtemp, mkdir, the weights' write, write_text/write_bytes, os.replace, rmtree) so that the
k-th one calls os._exit instead, and saves. k runs from 1 until a save completes. The test process then lists and
loads each library left behind.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aelab.library.store import list_models, load_model, save_model
from aelab.models.autoencoder import create_model
from aelab.models.config import ModelConfig, TrainConfig

REPO = Path(__file__).resolve().parents[2]
CONFIG = ModelConfig(image_size=(8, 8), hidden=(8,), latent_dim=2)
KILLED = 9

FORKER = r"""
import json, os, pathlib, shutil, sys, tempfile
import safetensors.torch
import torch
torch.set_num_threads(1)  # no thread pool in the parent: forking is then safe
from aelab.library import store
from aelab.models.autoencoder import create_model
from aelab.models.config import ModelConfig, TrainConfig

template, work, overwrite = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3] == "1"
model = create_model(ModelConfig(image_size=(8, 8), hidden=(8,), latent_dim=2), seed=1)  # the new weights
# (the store imports safetensors' save_file when it saves, so the module's own is the one to patch)
OPERATIONS = [(os, "replace"), (shutil, "rmtree"), (tempfile, "mkdtemp"), (safetensors.torch, "save_file"),
              (pathlib.Path, "write_text"), (pathlib.Path, "write_bytes"), (pathlib.Path, "mkdir")]

def kill_at(k):
    count = [0]
    for owner, name in OPERATIONS:
        original = getattr(owner, name)
        def wrapped(*args, _original=original, **kwargs):
            count[0] += 1
            if count[0] == k:
                os._exit(9)
            return _original(*args, **kwargs)
        setattr(owner, name, wrapped)

statuses, k = {}, 1
while True:
    root = work / str(k)
    shutil.copytree(template, root)
    pid = os.fork()
    if pid == 0:
        kill_at(k)
        store.save_model(model, "m", variant="ae", train_config=TrainConfig(), dataset="digits", root=root,
                         overwrite=overwrite, extra_files={"codes.json": b"{}"})
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    statuses[k] = os.waitstatus_to_exitcode(status)
    if statuses[k] == 0 or k > 40:
        break
    k += 1
print(json.dumps(statuses))
"""


def _run(template: Path, work: Path, overwrite: bool) -> dict[int, int]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", FORKER, str(template), str(work), "1" if overwrite else "0"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return {int(k): v for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def _weights(path: Path) -> torch.Tensor:
    return load_model(path).model.state_dict()["bottleneck.weight"]


@pytest.fixture(scope="module")
def old_library(tmp_path_factory) -> Path:
    template = tmp_path_factory.mktemp("template")
    save_model(create_model(CONFIG, seed=0), "m", variant="ae", train_config=TrainConfig(), dataset="digits",
               root=template)
    save_model(create_model(CONFIG, seed=2), "other", variant="ae", train_config=TrainConfig(), dataset="digits",
               root=template)
    return template


@pytest.mark.parametrize("overwrite", [True, False], ids=["overwrite", "new-name"])
def test_a_save_killed_at_any_step_leaves_the_old_or_the_new_model(tmp_path, old_library, overwrite):
    template = old_library
    if not overwrite:  # a first save of "m": the old state is a library without it
        template = tmp_path / "without-m"
        import shutil

        shutil.copytree(old_library, template)
        shutil.rmtree(template / "m")
    statuses = _run(template, tmp_path / "runs", overwrite)
    steps = sorted(statuses)
    assert all(statuses[k] == KILLED for k in steps[:-1]) and statuses[steps[-1]] == 0
    assert len(steps) >= (9 if overwrite else 7)  # every file operation of a save was a crash point
    old = _weights(old_library / "m")
    new = create_model(CONFIG, seed=1).state_dict()["bottleneck.weight"]
    outcomes, gone_before_recovery = [], 0
    for k in steps:
        root = tmp_path / "runs" / str(k)
        gone_before_recovery += not (root / "m").exists()
        listed = {info.name: info for info in list_models(root, pretrained_root=tmp_path / "none")}
        assert [p.name for p in root.iterdir() if p.name.startswith(".")] == [], f"leftovers after step {k}"
        assert all(info.error is None for info in listed.values()), k
        assert _weights(root / "other") is not None  # the rest of the library is untouched
        if "m" not in listed:
            assert not overwrite, f"the model vanished after a kill at step {k}"
            outcomes.append("old")
            continue
        weights = _weights(root / "m")
        assert torch.equal(weights, old) or torch.equal(weights, new), k
        outcomes.append("new" if torch.equal(weights, new) else "old")
    # old until the new folder is renamed into place, new from then on; the last (uninterrupted) save is new
    first_new = outcomes.index("new")
    assert set(outcomes[:first_new]) == {"old"} and set(outcomes[first_new:]) == {"new"}, outcomes
    if overwrite:
        assert gone_before_recovery >= 1  # a kill between the two renames happened, and recovery undid it
    print(f"overwrite={overwrite}: {len(steps)} steps, outcomes {outcomes}, "
          f"{gone_before_recovery} left the model missing until recovery")


def test_a_save_in_progress_in_this_process_is_never_recovered_away(tmp_path):
    """Another thread's staging folder (same process tag) is not touched by a listing."""
    from aelab.library.staging import recover, staging_folder

    tmp_path.mkdir(exist_ok=True)
    live = staging_folder(tmp_path, "m", "new")
    (live / "config.json").write_text("{}")
    assert recover(tmp_path) == [] and live.is_dir()


def test_an_old_model_of_a_dead_writer_comes_back(tmp_path, old_library):
    """A folder tagged by a process that no longer exists, holding the replaced model, is put back in place."""
    import shutil

    from aelab.library.staging import _HOST, recover

    shutil.copytree(old_library, tmp_path / "lib")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    trash = tmp_path / "lib" / f".m.old-{_HOST}-{int(dead.stdout)}-0000abcd-x1y2z3_q"
    trash.mkdir()
    os.replace(tmp_path / "lib" / "m", trash / "old")
    assert recover(tmp_path / "lib") == ["m"] and not trash.exists()
    assert torch.equal(_weights(tmp_path / "lib" / "m"), _weights(old_library / "m"))
