"""This session's uploads as memory: each read within a budget, what they hold together, and letting go of them.

An upload is read by aelab.data.sources.load_user_data (the one way data enters, validated from the files' headers)
within two limits (aelab.data.budget): the per-upload budget, and what the session's budget leaves once its other
uploads are counted. An upload that replaces one of the same name is not charged for the one it replaces, and a file
taken off the uploader takes its dataset with it, so the session's use drops on either.

Streamlit keeps the bytes of every file on the uploader for the whole session. A refused upload's bytes are dropped
at once, and an .npz or .zip is dropped once read (it is a dataset on its own, never read again; IDX files stay, as
a later drop may add their labels). Freed memory is then handed back to the operating system (malloc_trim), so
a refused 1 GB file does not stay resident while the tab is open.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import DeletedFile

from aelab.data import sources as aedata
from aelab.data.budget import dataset_bytes, mib, session_budget_bytes, upload_budget, upload_budget_bytes
from aelab.runtime.sessions import trim_memory
from aelab.views.pages import AppView
from ui.common.session import session
from ui.common.view_state import Bound


def _file_ids() -> dict[str, frozenset[str]]:
    return session.upload_files


def limits_help() -> str:
    """What the uploader accepts, in a sentence for its help."""
    return (f"Up to {aedata.MAX_IMAGES:,} greyscale images of {aedata.MIN_SIDE}x{aedata.MIN_SIDE} to "
            f"{aedata.MAX_SIDE}x{aedata.MAX_SIDE} pixels, holding at most {mib(upload_budget_bytes())} as "
            f"32-bit floats (this session's uploads together: {mib(session_budget_bytes())}).")


def used_bytes(but: str | None = None) -> int:
    """What this session's uploads hold (tensors), leaving out the upload key but (one about to be replaced)."""
    return sum(dataset_bytes(dataset) for key, dataset in session.uploads.items() if key != but)


def on_uploader(files: list | None) -> list:
    """The uploader's files whose bytes are still held (not those released once read). First the datasets of files
    taken off the uploader are forgotten; if one was the chosen dataset, the default dataset is chosen instead."""
    on_it = {f.file_id for f in files or ()}
    for key, ids in list(_file_ids().items()):
        if not ids & on_it:
            del _file_ids()[key]
            session.uploads.pop(key, None)
            app = Bound(AppView)
            if app.view.data == key:
                app.set(data=None)  # the default dataset
    return [f for f in files or () if not isinstance(f, DeletedFile)]


def read(files: list, name: str, key: str, archive: bool):
    """The Dataset of files (one archive, or IDX files read as a folder), named name and to be kept under key;
    AelabError when refused. Either way, what the read allocated is given back before this returns."""
    used, total = used_bytes(but=key), session_budget_bytes()
    budget = upload_budget().limited(
        total - used, f"the {mib(max(total - used, 0))} left of this session's {mib(total)} "
                      f"(AELAB_SESSION_BUDGET_MB; your other uploads hold {mib(used)}: take one off the uploader "
                      "to make room)")
    try:
        with tempfile.TemporaryDirectory() as folder:
            for f in files:
                (Path(folder) / Path(f.name).name).write_bytes(f.getvalue())  # (the uploader's bytes, not a copy)
            # An archive is read as a file; anything else is taken for IDX files, read as a folder.
            target = Path(folder) / Path(files[0].name).name if archive else Path(folder)
            dataset = aedata.load_user_data(target, name=name, budget=budget)
    except Exception:  # refused (an AelabError) or a reader's failure: the files are of no more use
        _release(files)
        raise
    finally:
        trim_memory()  # the reader's freed buffers (or a refused file's), back to the operating system
    if archive:
        _release(files)
    _file_ids()[key] = frozenset(f.file_id for f in files)
    return dataset


def _release(files: list) -> None:
    """Drop the uploader's copy of these files' bytes (the uploader still lists them; a page reads them no more)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    for f in files:
        ctx.uploaded_file_mgr.remove_file(ctx.session_id, f.file_id)
        # The UploadedFile (a BytesIO sharing those bytes) stays in session state until the end of the next run:
        # emptied, it lets go of them now. (Closed, it would break Streamlit's copy of the widget's value.)
        f.truncate(0)
