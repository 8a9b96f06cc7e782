"""Crash-safe saving of a model folder: where a save stages its files, and recovery from a save that was killed.

A save writes a hidden staging folder ``.NAME.new-TAG-XXXX`` beside the models; an overwrite first moves the old
folder into ``.NAME.old-TAG-XXXX/old``, then renames the staging folder into place, then deletes the old one. A
process killed at any point leaves at most those hidden folders. :func:`recover` (run by list_models and
save_model) puts the old model back when the new one never arrived, and deletes what is left over, so the library
always lists the old or the new model. TAG names the writer (host, process id, a per-process token), so recovery
never touches a save still running: in this process (another thread), or in another live process on this host.
A writer on another host (replicas sharing AELAB_HOME) is presumed dead only after STALE_SECONDS.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 3600  # a save takes seconds; a hidden folder this old from an unknown writer is abandoned
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_TOKEN = secrets.token_hex(4)  # this process: a restarted server reusing an old pid (pid 1 in a container) differs
# .NAME.new-HOST-PID-TOKEN-random (random: mkdtemp's letters, digits and "_"); NAME may hold dots itself.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>new|old)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})"
                       r"-[a-z0-9_]+$")
# Folders left by aelab versions before these tags: ".NAME.random" and ".NAME.old.random/old".
_UNTAGGED = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<old>old)\.)?[a-z0-9_]{8}$")


def staging_folder(root: Path, name: str, kind: str) -> Path:
    """A new hidden folder in root for a save of name: kind "new" (the files being written) or "old" (the folder
    being replaced, moved inside it as "old")."""
    tag = f"{_HOST}-{os.getpid()}-{_TOKEN}"  # the pid read now: a forked child is another writer than its parent
    return Path(tempfile.mkdtemp(prefix=f".{name}.{kind}-{tag}-", dir=root))


def swap_into_place(root: Path, name: str, staging: Path, target: Path) -> None:
    """Move a complete staging folder to target. An existing target moves aside first, into an "old" staging folder
    that recover() puts back if a kill comes between the two renames: the library keeps the old or the new copy."""
    if target.exists():
        trash = staging_folder(root, name, "old")
        os.replace(target, trash / "old")
        os.replace(staging, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, target)


def recover(root: Path) -> list[str]:
    """Finish or undo every save in root whose writer is gone; returns the names of models put back."""
    restored = []
    try:
        entries = [e for e in root.iterdir() if e.name.startswith(".") and e.is_dir()]
    except OSError:
        return restored
    for entry in entries:
        found = _leftover(entry)
        if found is None:
            continue
        name, is_old = found
        target = root / name
        old = entry / "old"
        if is_old and old.is_dir() and not target.exists() and _complete(old):
            try:
                os.replace(old, target)  # the new copy never arrived: the old one comes back
                restored.append(name)
            except OSError:  # another process recovered it first
                pass
        shutil.rmtree(entry, ignore_errors=True)
    return restored


def _leftover(entry: Path) -> tuple[str, bool] | None:
    """(model name, whether it holds a replaced model) for an abandoned staging folder; None for anything else,
    including a save still in progress."""
    match = _LEFTOVER.match(entry.name)
    if match is not None:
        if not _abandoned(match["host"], int(match["pid"]), match["token"], entry):
            return None
        return match["name"], match["kind"] == "old"
    match = _UNTAGGED.match(entry.name)
    if match is not None and _age(entry) > STALE_SECONDS:
        return match["name"], match["old"] is not None
    return None


def _abandoned(host: str, pid: int, token: str, entry: Path) -> bool:
    if host != _HOST:
        return _age(entry) > STALE_SECONDS
    if pid == os.getpid():
        return token != _TOKEN  # the same pid with another token: an earlier process, since gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    return _age(entry) > STALE_SECONDS


def _age(entry: Path) -> float:
    try:
        return time.time() - entry.stat().st_mtime
    except OSError:
        return 0.0


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
