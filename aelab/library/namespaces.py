"""Libraries on a class server: one private library per student beside the shared, read-only ones.

A student's library is the folder ``<library>/.students/<namespace>``, where the namespace is a SHA-256 of the
student's secret id (a random id kept in the browser, or the signed-in account): the secret is a bearer token, so
only its hash is ever written down, and nobody can name, list or write another's folder without it. What everyone
sees read-only: the shipped pretrained models, and the models the teacher published (``aelab publish NAME`` copies a
model of the teacher's own library into ``published_root()``). The teacher's own library (the CLI's) is the
library root itself, and stays unchanged for a single user.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from aelab.errors import ModelStoreError
from aelab.library.staging import recover, staging_folder, swap_into_place
from aelab.library.store import CONFIG_FILE, library_root, list_models, load_model, published_root, validate_name

STUDENTS_DIR = ".students"  # hidden: the CLI's `aelab models` and listing the library skip it
NAMESPACE_PATTERN = re.compile(r"^[0-9a-f]{32}$")
SECRET_PATTERN = re.compile(r"^[0-9a-f]{32,64}$")  # what a browser id must look like (secrets.token_hex)


def namespace_of(kind: str, secret: str) -> str:
    """The namespace (32 hex characters) of a secret id of kind "browser" or "user": a one-way hash, so the folder
    name, cache keys and anything else written down never reveal the secret."""
    return hashlib.sha256(f"aelab-{kind}:{secret}".encode()).hexdigest()[:32]


def student_root(namespace: str, root: str | Path | None = None) -> Path:
    """The library folder of one namespace (not created until a model is saved there)."""
    if not NAMESPACE_PATTERN.match(namespace):
        raise ModelStoreError("A library namespace is 32 hexadecimal characters.")
    return library_root(root) / STUDENTS_DIR / namespace


def private_elsewhere(name: str, own: Path, root: str | Path | None = None) -> bool:
    """Whether a model called name exists in a library other than own (another student's, or the teacher's own)
    without being shared: a link to it is a link to someone's private model."""
    try:
        validate_name(name)
    except ModelStoreError:
        return False
    base = library_root(root)
    students = base / STUDENTS_DIR
    candidates = [base / name] + ([p / name for p in students.iterdir()] if students.is_dir() else [])
    return any(c.parent != own and (c / CONFIG_FILE).is_file() for c in candidates)


def publish(name: str, root: str | Path | None = None, overwrite: bool = False) -> Path:
    """Copy the model name of the library (the teacher's own) into the published folder; returns its new path.
    The model is loaded first (checksum, config, weights), so a broken one is never shared."""
    source = library_root(root) / validate_name(name)
    if not (source / CONFIG_FILE).is_file():
        known = ", ".join(i.name for i in list_models(root) if i.source == "library") or "none"
        raise ModelStoreError(f"No model named {name!r} in the library {library_root(root)}; its models: {known}.")
    load_model(source)
    shared = published_root(root)
    shared.mkdir(parents=True, exist_ok=True)
    recover(shared)
    target = shared / name
    if target.exists() and not overwrite:
        raise ModelStoreError(f"{name!r} is already published; pass --overwrite to replace it.")
    staging = staging_folder(shared, name, "new")
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True, symlinks=False)
        swap_into_place(shared, name, staging, target)  # as save_model: a kill leaves the old or the new copy
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def unpublish(name: str, root: str | Path | None = None) -> None:
    """Stop sharing a published model (the teacher's own copy in the library stays)."""
    target = published_root(root) / validate_name(name)
    if not (target / CONFIG_FILE).is_file():
        raise ModelStoreError(f"No published model named {name!r}.")
    trash = staging_folder(published_root(root), name, "old")  # a kill before the rmtree: recover() puts it back
    os.replace(target, trash / "old")
    shutil.rmtree(trash, ignore_errors=True)
