"""The sidebar every page shares: dataset (bundled, downloadable, uploaded), model and a conditional model's class,
bound like any view (ui/common/view_state.py, the app's AppView), so a link opens on the same dataset and model
(?data=...&model=...) and Back and Forward bring them back. The training job this tab watches is not in any link: the
tab keeps it (ui.common.tab_job), so a reloaded tab re-attaches to it while no link carries it.

Drawn from the listings alone (sources, configs): no dataset or model is loaded here, and torch is not imported, so
Home opens without it. A model that lists fine but fails to load is named by the page that loads it, and left out of
the picker from then on (ui.common.selection.broken_models)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import streamlit as st

from aelab.data import sources as aedata
from aelab.errors import AelabError
from aelab.views.pages import AppView
from ui.common import uploads as session_uploads
from ui.common.activity import track_activity
from ui.common.selection import (
    DEFAULT_DATASET,
    DEFAULT_MODEL,
    UPLOAD_PREFIX,
    broken_models,
    bundled_or_cached_dataset,
    current_data,
    model_choices,
    model_configs,
    model_loader,
)
from ui.common.session import CONDITION_LABEL_KEY, DATASET_KEY, MODEL_KEY, session
from ui.common.tab_job import keep_job, reattach_tab_job
from ui.common.text import plain
from ui.common.view_state import Bound, open_view
from ui.common.viewer import keep_browser_id
from ui.common.widgets import class_name
from ui.train.lifecycle import collect_finished_trainings

UPLOADER_KEY = "upload"
DOWNLOAD_BUTTON_KEY = "download_button"
NOT_HERE = "is not available here"  # what a link's dataset or model that this browser cannot see is (whether or not
# it exists: another student's private model must not be told apart from a misspelt one)

STATUS_LABEL = {"bundled": "bundled", "cached": "downloaded", "needs download": "needs download"}


def app_view() -> Bound[AppView]:
    """The sidebar's view for this run (app.py opens it first: presenter mode decides the page's layout)."""
    return open_view(AppView)


def _download(name: str, where=st.sidebar) -> bool:
    """Download name with a progress bar; True when done, else the reason is shown where the button is."""
    bar = where.progress(0.0, text=f"Downloading {name}...")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"Downloading {name}: {done / 1e6:.1f} MB")

    try:
        aedata.download(name, progress=progress)
        bar.progress(1.0, text=f"{name} downloaded and verified.")
        bundled_or_cached_dataset.clear()
        return True
    except AelabError as err:
        bar.empty()
        where.error(str(err))
        return False


def _is_archive(upload) -> bool:
    return Path(upload.name).suffix.lower() in (".npz", ".zip")


def _files_to_read(files: list) -> list:
    """The uploader keeps every file dropped on it. Only IDX files make one dataset together; an .npz or .zip is a
    dataset on its own, so the newest one is read alone (a bad archive dropped earlier must not spoil a good one)."""
    archives = [f for f in files if _is_archive(f)]
    if archives and _is_archive(files[-1]):
        return [files[-1]]
    return [f for f in files if f not in archives] or [archives[-1]]


def _handle_upload(files) -> None:
    """Load an upload into this session's datasets within its memory budget (ui.common.uploads); on bad input say
    why and keep the current dataset."""
    files = session_uploads.on_uploader(files)  # a file taken off the uploader takes its dataset along
    if not files:  # the user removed the file: forget the old complaint, so re-adding the same file is read again
        session.last_upload = None
        session.upload_error = None
        return
    files = _files_to_read(files)
    signature = tuple((f.name, f.size) for f in files)
    if session.last_upload == signature:
        return  # already handled on an earlier rerun
    session.last_upload = signature
    archive = len(files) == 1 and _is_archive(files[0])
    name = files[0].name if archive or len(files) == 1 else f"{Path(files[0].name).stem.split('-')[0]} (IDX)"
    try:
        dataset = session_uploads.read(files, name, UPLOAD_PREFIX + name, archive)
    except AelabError as err:
        session.upload_error = f"Could not use {name}: {err}"
        return
    except Exception as err:  # an unexpected reader failure must not take the app down
        session.upload_error = f"Could not read {name} ({type(err).__name__}: {err})."
        return
    session.upload_error = None
    key = UPLOAD_PREFIX + name
    session.uploads[key] = dataset  # named by its file, identified by its content (dataset.identity)
    open_view(AppView).set(data=key)


def _dataset_picker(app: Bound[AppView]) -> None:
    sources = {info.name: info for info in aedata.list_sources()}
    options = list(sources) + list(session.uploads)

    def label(name: str) -> str:
        if name in sources:
            return f"{name} ({STATUS_LABEL.get(sources[name].status, sources[name].status)})"
        return f"{name[len(UPLOAD_PREFIX):]} (your upload)"

    # A link naming an upload of another session, or a misspelt name: one lasting line above the page
    chosen = app.selectbox("data", "Dataset", options, where=st.sidebar, key=DATASET_KEY, format_func=label,
                           default=DEFAULT_DATASET, refused=NOT_HERE, fallback_text=DEFAULT_DATASET,
                           show_message=False,
                           help="Bundled sets work offline; others download once and are cached.")
    if chosen in sources and sources[chosen].status == "needs download":
        st.sidebar.caption(f"{chosen} is not on this machine yet (internet needed once); pages show "
                           f"{DEFAULT_DATASET} until it is downloaded.")
    with st.sidebar.expander("Use your own data"):
        st.file_uploader(
            "An .npz (x, optional y), a .zip of PNG/JPEG images (one folder per label), or IDX files",
            # No type filter: MNIST's own IDX files have no extension ("train-images-idx3-ubyte"), which a filter
            # would refuse; the readers check the content and say what is wrong with any other file.
            accept_multiple_files=True,
            key=UPLOADER_KEY, on_change=lambda: _handle_upload(st.session_state.get(UPLOADER_KEY)),
            help=session_uploads.limits_help())
        # Read in on_change, before the Dataset picker above exists in the next run, so a good upload can select it.
        if session.upload_error:
            st.error(plain(session.upload_error))


def _model_picker(app: Bound[AppView]) -> None:
    dataset = current_data()
    kept = app.view.model
    choices = model_choices(dataset.image_size)
    keys = list(choices.values())
    _name_broken_models()
    if not keys:
        session.model_key = None
        st.sidebar.info(f"No model for {dataset.image_size[0]}x{dataset.image_size[1]} images yet: train one.")
        return
    pending = session.take_pending_model_key()
    if pending in keys:  # a training just ended (a model of another image size does not reset the choice)
        app.set(model=pending)
    default = next((k for k in keys if k.endswith("/" + DEFAULT_MODEL)), keys[0])
    if kept and kept not in keys and pending not in keys:
        # the user chose a dataset of another image size: a note in the sidebar, this once
        st.sidebar.warning(f"Model {plain(kept[:80])} is not available for this dataset; showing {plain(default)}.")
    labels = {v: k for k, v in choices.items()}
    session.model_key = app.selectbox("model", "Model", keys, where=st.sidebar, key=MODEL_KEY, default=default,
                                      format_func=labels.get, refused=NOT_HERE, fallback_text=default,
                                      show_message=False,
                                      help="Pretrained models ship with the app; yours appear after training.")
    config = model_configs(dataset.image_size).get(session.model_key)
    if config is not None and config.n_classes:
        _label_picker(app, session.model_key, config.n_classes, dataset)
    if config is not None:
        _onnx_download(session.model_key)


def _label_picker(app: Bound[AppView], key: str, n: int, dataset) -> None:
    """A conditional model encodes and decodes with a class label: chosen here, once, for every page."""
    app.selectbox("label", "Class to encode and decode as", list(range(n)), where=st.sidebar, key=CONDITION_LABEL_KEY,
                  format_func=lambda k: class_name(dataset.class_names, k),
                  help=f"{key.partition('/')[2]} is a conditional VAE: its encoder and decoder read a class label "
                       "beside the image and the code. Every page uses this class.")


def _onnx_download(key: str) -> None:
    """The chosen model's encoder and decoder as ONNX files with their JSON sidecar (what `python -m aelab export`
    writes), the model loaded and zipped only when the button is clicked (outside the page's run: model_loader)."""
    try:
        load = model_loader(key)
    except (AelabError, KeyError):  # gone since it was listed: nothing to download
        return
    name = key.partition("/")[2]

    def build() -> bytes:
        from aelab.export.onnx import ExportError, export_zip

        try:
            record = load()
            return export_zip(record.model, record.name)
        except (ExportError, AelabError) as err:  # the archive says why instead of failing silently
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr(f"{name}-onnx/EXPORT_FAILED.txt", f"{name}: {err}\n")
            return buffer.getvalue()

    st.sidebar.download_button("Download as ONNX (encoder, decoder, JSON)", build, file_name=f"{name}-onnx.zip",
                               mime="application/zip", key="model_onnx_download", on_click="ignore",
                               icon=":material/download:",
                               help="Encoder and decoder as ONNX files with a JSON sidecar (latent size, image size, "
                                    "output activation), for onnxruntime or any ONNX tool.")
    st.sidebar.caption(f"A zip of {name}'s encoder and decoder: run them outside aelab with onnxruntime "
                       "(Python, JavaScript, C++...); the JSON gives the code and image sizes.")


def _name_broken_models() -> None:
    """One broken model hurts only itself: it is left out of the picker and named here with its reason."""
    broken = broken_models()
    if broken:
        st.sidebar.warning(f"Not offered, as {'it' if len(broken) == 1 else 'they'} cannot be loaded: "
                           + "; ".join(f"**{key}**: {reason}" for key, reason in broken.items()),
                           icon=":material/broken_image:")


def _announce_finished_trainings() -> None:
    """A training that ended since the last run selects its model (whatever page the user is on) and says so."""
    for message in collect_finished_trainings():
        st.toast(message, icon=":material/model_training:")


def show_link_messages(app: Bound[AppView]) -> None:
    """Above the page (the sidebar may be hidden, in presenter mode): a dataset or model the link named that is not
    here, and a chosen dataset that is not on this machine yet, said in one line for as long as its replacement is
    shown."""
    for name in ("data", "model"):
        app.show(name)
    chosen = app.view.data
    sources = {info.name: info for info in aedata.list_sources()}
    if chosen in sources and sources[chosen].status == "needs download":
        with st.container(key="dataset_notice"):
            st.warning(f"{chosen} is not on this machine yet (it downloads once, with internet): this page shows "
                       f"{DEFAULT_DATASET} until it is downloaded.", icon=":material/cloud_download:")
            if st.button(f"Download {chosen}", key=DOWNLOAD_BUTTON_KEY, icon=":material/download:"):
                if _download(chosen, where=st):
                    st.rerun()  # (not after a failure: the rerun would wipe its message)


def render_sidebar(app: Bound[AppView]) -> None:
    track_activity()
    if "job" in st.query_params:  # an old link's job id: a job is attached only from the tab that started it
        del st.query_params["job"]
    reattach_tab_job()  # a reloaded tab: its job, before the page draws
    _announce_finished_trainings()
    _dataset_picker(app)
    _model_picker(app)
    keep_browser_id()
    keep_job()
