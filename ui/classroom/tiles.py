"""The class wall's tiles: one per student browser active in the last hour, showing its running or last training,
built from the job manager's listing of every session's jobs (aelab.runtime.jobs.JobManager.listing) and the class
roster; and each tile drawn as one HTML block.

A tile shows the student's display name (escaped: it is their text), the training's card (ui.classroom.cards), its
state and an epoch progress bar, the loss curve, and, for a training on a named source everyone has, the
reconstructions of the same 8 test images (the Train form's first 8 test images) and a small latent map. A training
on a student's own upload shows its curve and nothing of the images. Pictures are PNGs drawn with Pillow
(aelab.analysis.sketches: no Plotly for twenty thumbnails) and cached per training and epoch: a refresh copies each
training's small state (LIGHT_KEYS), and copies the pictures' arrays and draws them only for a tile with something
new (a new epoch, phase or status).
"""
from __future__ import annotations

import base64
import html
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from aelab.analysis.images import grid, png_bytes
from aelab.analysis.sketches import Curve, line_sketch, scatter_sketch
from aelab.runtime.jobs import CANCELLED, DONE, ERROR, QUEUED, JobSnapshot, ListedJob
from aelab.runtime.roster import ClassRoster, Member
from ui.classroom.access import browser_of
from ui.classroom.cards import CARD_KEY
from ui.common.widgets import PALETTE, UNLABELLED_COLOUR

ACTIVE_WITHIN_S = 3600.0  # a student browser is on the wall if active within this, or while its training runs
LIGHT_KEYS = ("progress", "history", "phase", CARD_KEY)  # copied for every training at every refresh
PICTURE_KEYS = ("history", "preview", "preview_input", "labels")  # copied only to draw a tile's new pictures
PICTURE_TAILS = ("latent_frames",)  # only the latest frame of each training
MAIN_TERMS = ("recon", "total", "mse")
PICTURE_CACHE = 256  # tiles' pictures kept (a class of 30, several trainings each)


@dataclass(frozen=True)
class Tile:
    """A student and the training the wall shows for them (None: none on this server)."""

    member: Member
    job: JobSnapshot | None

    @property
    def card(self) -> dict:
        return (self.job.state.get(CARD_KEY) if self.job is not None else None) or {}

    @property
    def variant(self) -> str | None:
        return self.card.get("variant")

    @property
    def history(self) -> list[dict]:
        return (self.job.state.get("history") if self.job is not None else None) or []

    @property
    def loss(self) -> float | None:
        """The last epoch's reconstruction loss, on the test images when measured (train otherwise)."""
        if not self.history:
            return None
        last, term = self.history[-1], main_term(self.history)
        value = (last.get("val") or {}).get(term, last.get("train", {}).get(term))
        return float(value) if isinstance(value, (int, float)) and np.isfinite(value) else None

    @property
    def started(self) -> float:
        return self.job.created if self.job is not None else self.member.first_seen

    @property
    def model_ready(self) -> bool:
        """Whether the training has ended with a model (to project or publish)."""
        outcome = self.job.result if self.job is not None else None
        return self.job is not None and not self.job.active and getattr(outcome, "model", None) is not None


def main_term(history: list[dict]) -> str:
    names = list(history[0].get("train", {})) if history else []
    return next((n for n in MAIN_TERMS if n in names), names[0] if names else "recon")


def build_tiles(listed: list[ListedJob], roster: ClassRoster, within_s: float = ACTIVE_WITHIN_S) -> list[Tile]:
    """One tile per student browser active within within_s (or with a training still queued or running), each
    with its running training, else its newest one; in the order the students first came. Only the Train page's
    trainings count (they carry a card): a lesson's fit on the same lane is no student's model."""
    latest: dict[str, JobSnapshot] = {}
    for item in listed:  # oldest first: a later job replaces an earlier one, unless that one is still running
        browser, snap = browser_of(item.owner, item.group), item.snapshot
        if CARD_KEY not in snap.state:
            continue
        held = latest.get(browser)
        if held is None or not held.active or snap.active:
            latest[browser] = snap
    running = {browser for browser, snap in latest.items() if snap.active}
    return [Tile(member, latest.get(member.key)) for member in roster.active(within_s, also=running)]


def arrange(tiles: list[Tile], sort: str, variant: str) -> list[Tile]:
    """The tiles of variant ("all": every one), by lowest loss ("loss", those without one last) or by start."""
    shown = [t for t in tiles if variant == "all" or t.variant == variant]
    if sort == "loss":
        return sorted(shown, key=lambda t: (t.loss is None, t.loss if t.loss is not None else 0.0, t.started))
    return sorted(shown, key=lambda t: t.started)


# ------------------------------------------------------------------------------------------------ pictures
@dataclass
class Pictures:
    """A tile's pictures as PNG data URIs (None: nothing to show)."""

    curve: str | None = None
    recon: str | None = None
    latent: str | None = None
    latent_big: str | None = field(default=None, repr=False)  # for the compare section


_CACHE: OrderedDict[tuple, Pictures] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _data_uri(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def _version(snap: JobSnapshot) -> tuple:
    """What changes whenever a training's pictures do: a new epoch, a new phase (its first pictures, its first
    latent frame), its end."""
    return snap.id, len(snap.state.get("history") or []), snap.state.get("phase"), snap.status


def tile_pictures(tiles: list[Tile], fetch: Callable[[set[str]], dict[str, dict]]) -> dict[str, Pictures]:
    """{job id: its pictures} for the tiles' trainings, drawn only where the cache has none for their version.
    fetch(ids) -> {job id: its state with PICTURE_KEYS and PICTURE_TAILS} (the job manager's listing)."""
    found, missing = {}, {}
    with _CACHE_LOCK:
        for tile in tiles:
            if tile.job is None:
                continue
            key = _version(tile.job)
            if key in _CACHE:
                _CACHE.move_to_end(key)
                found[tile.job.id] = _CACHE[key]
            else:
                missing[tile.job.id] = (key, tile)
    states = fetch(set(missing)) if missing else {}
    for job_id, (key, tile) in missing.items():
        drawn = found[job_id] = _draw_pictures(states.get(job_id, {}), bool(tile.card.get("shared")))
        with _CACHE_LOCK:
            _CACHE[key] = drawn
            while len(_CACHE) > PICTURE_CACHE:
                _CACHE.popitem(last=False)
    return found


def _draw_pictures(state: dict, shared: bool) -> Pictures:
    drawn = Pictures()
    history = state.get("history") or []
    if history:
        term, epochs = main_term(history), [h["epoch"] for h in history]
        curves = [Curve(epochs, [h["train"].get(term) for h in history], PALETTE[0])]
        if history[0].get("val"):
            curves.append(Curve(epochs, [(h.get("val") or {}).get(term) for h in history], PALETTE[0], dashed=True))
        drawn.curve = _data_uri(line_sketch(curves, width=280, height=110))
    if not shared:  # a student's own images: their curve only
        return drawn
    inputs, preview = state.get("preview_input"), state.get("preview")
    if inputs is not None and preview is not None:
        scale = max(1, round(28 / max(inputs.shape[-2:])))
        drawn.recon = _data_uri(grid(np.concatenate([inputs, preview.astype(np.float32)]), ncol=len(inputs),
                                     scale=scale))
    frames, labels = state.get("latent_frames"), state.get("labels")
    if frames and labels is not None and len(frames[-1]) == len(labels):
        colours = [PALETTE[int(k) % len(PALETTE)] if k >= 0 else UNLABELLED_COLOUR for k in labels]
        drawn.latent = _data_uri(scatter_sketch(frames[-1], colours, width=280, height=150, dot=1.6))
        drawn.latent_big = _data_uri(scatter_sketch(frames[-1], colours, width=420, height=320, dot=2.4))
    return drawn


# ------------------------------------------------------------------------------------------------ HTML
def status_text(tile: Tile) -> tuple[str, float]:
    """(what the training is doing, in words; the progress bar's fraction)."""
    snap = tile.job
    if snap is None:
        return "no training yet", 0.0
    epochs = len(tile.history)
    progress = snap.state.get("progress") or {}
    if snap.status == QUEUED:
        return f"waiting in the queue, position {snap.queue_position}", 0.0
    if snap.active and progress:
        return f"epoch {progress['epoch']}/{progress['epochs']}", float(progress.get("fraction", 0.0))
    if snap.active:
        return str(snap.state.get("phase", "starting")), 0.0
    done = {DONE: f"finished: {epochs} epoch{'s' * (epochs != 1)}", CANCELLED: f"stopped after {epochs} epochs",
            ERROR: "stopped with an error"}
    return done.get(snap.status, snap.status), 1.0 if snap.status == DONE else 0.0


def _ago(seconds: float) -> str:
    return "just now" if seconds < 60 else f"{seconds / 60:.0f} min ago" if seconds < 5400 else \
        f"{seconds / 3600:.1f} h ago"


def tile_html(tile: Tile, drawn: Pictures | None, now: float | None = None) -> str:
    """The tile's HTML: every text escaped (a display name is the student's own text), pictures as data URIs."""
    text, fraction = status_text(tile)
    card, snap = tile.card, tile.job
    what = f"{card['variant']}: {card['knobs']}; on {card['data']}" if card else ""
    loss = f"; test loss {tile.loss:.4g}" if tile.loss is not None else ""
    started = f", started {_ago((now or time.time()) - snap.created)}" if snap is not None else ""
    drawn = drawn or Pictures()
    images = "".join(f'<img class="{cls}" alt="{alt}" src="{uri}">' for cls, alt, uri in (
        ("curve", "loss curve", drawn.curve), ("recon", "test images and their reconstructions", drawn.recon),
        ("map", "latent map", drawn.latent)) if uri)
    if card and not card.get("shared") and drawn.curve:
        images += '<div class="note">trained on their own images: none are shown</div>'
    status = snap.status if snap is not None else "none"
    return (f'<div class="aelab-tile" data-testid="wall-tile" data-status="{status}" '
            f'data-epochs="{len(tile.history)}"><div class="who">{html.escape(tile.member.name)}</div>'
            f'<div class="what">{html.escape(what)}</div>'
            f'<div class="bar"><div style="width:{100 * min(max(fraction, 0.0), 1.0):.0f}%"></div></div>'
            f'<div class="state">{html.escape(text + loss + started)}</div>{images}</div>')


STYLE = """<style>
.aelab-tile .who { font-weight: 600; font-size: 1.1rem; }
.aelab-tile .what, .aelab-tile .state, .aelab-tile .note { font-size: 0.8rem; color: #555; }
.aelab-tile .bar { height: 6px; background: #eee; border-radius: 3px; margin: 4px 0; }
.aelab-tile .bar > div { height: 6px; background: #332288; border-radius: 3px; }
.aelab-tile img { display: block; width: 100%; margin-top: 4px; }
.aelab-tile img.recon { image-rendering: pixelated; }
</style>"""
