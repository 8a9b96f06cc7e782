"""Real browser on the Train page: a training keeps going while the user moves other widgets, visits another page and
reloads the tab (the tab keeps the job id in its sessionStorage, never in the URL, and re-attaches); it ends with a
loss curve and its model selected. Cancel keeps the model trained so far; the replay slider goes back to the
untrained model. A training, its worker process and its background map leave the server's log without a warning.

Waits follow the page: a training is waited for as long as its progress bar moves (a loaded machine trains slowly,
not wrongly), and fails when the bar stands still for STALL_S."""
from __future__ import annotations

import re
import time

import pytest

from tests.app_server import running_app
from tests.e2e.conftest import open_page, wait_idle
from tests.e2e.live import MAP_SURFACE, canvas_digest, hover_across, map_frame, wait_drawn

pytestmark = pytest.mark.e2e

PROGRESS = '[data-testid="stProgress"]'
REPLAY_FRAME = ".st-key-train_replay_frame"  # the replay's map (ui/train/replay.py)
DECODED = "[data-testid='hover-decoded']"
STALL_S = 180  # a training whose progress bar has not moved for this long is stuck, however loaded the machine
CEILING_S = 3600  # and one still going after this long would never end in a test run


def _set_number(page, label: str, value, quiet_ms: int = 300) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page, quiet_ms=quiet_ms)


def _set_text(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_idle(page)


def _start(page, name: str, epochs: int, n_train: int = 4000) -> None:
    _set_text(page, "Save as", name)
    _set_number(page, "Epochs", epochs)
    _set_number(page, "Training images", n_train)
    page.get_by_role("button", name="Start training").click()
    page.locator(PROGRESS).filter(has_text=name).wait_for(timeout=60_000)


def _epoch(page) -> int:
    """The epoch shown by the progress bar ("epoch 3/30"); the bar is the training's, so it may take a moment."""
    text = page.locator(PROGRESS).first.inner_text(timeout=30_000)
    return int(re.search(r"epoch (\d+)/", text).group(1))


def _selected_model(page) -> str:
    """The label shown by the sidebar's Model picker, e.g. "e2e-live  (ae, library)"."""
    return page.get_by_role("combobox", name="Model").input_value()


def _wait_job_shown(page, name: str) -> None:
    """The page shows the job: live (its title "<name> (ae)") or, if it has just ended, its saved-model message.
    (A race, seen in full runs: short epochs can end between a click and the next page's first run.)"""
    shown = page.get_by_text(f"{name} (ae)").or_(page.get_by_text(f"saved in your library as {name}"))
    shown.first.wait_for(timeout=120_000)


def _tab_job(page) -> str:
    """The job id the tab keeps (in its sessionStorage), once the server has had it stored."""
    held = "() => /^[0-9a-f]{32}$/.test(sessionStorage.getItem('aelab_job') || '')"
    page.wait_for_function(held, timeout=30_000)
    return page.evaluate("() => sessionStorage.getItem('aelab_job')")


def _progress_text(page) -> str:
    """What the page says about the training now: its progress bar's text, or "" between bars."""
    bars = page.locator(PROGRESS)
    try:
        return bars.first.inner_text(timeout=1_000) if bars.count() else ""
    except Exception:  # Playwright's TimeoutError: a rerun replaced the bar while it was read
        return ""


def _wait_while_training(page, done) -> None:
    """Wait for the locator done (a finished training's message) as long as the training moves: each time the
    progress bar's text changes (a step, an epoch, a phase) the stall clock starts again."""
    started = last_change = time.monotonic()
    seen = _progress_text(page)
    while True:
        try:
            done.first.wait_for(timeout=5_000)
            return
        except Exception:  # Playwright's TimeoutError: not finished yet
            pass
        now, text = time.monotonic(), _progress_text(page)
        if text != seen:
            seen, last_change = text, now
        assert now - last_change < STALL_S, f"the training stood still for {STALL_S} s at {seen!r}"
        assert now - started < CEILING_S, f"the training was still going after {CEILING_S} s ({seen!r})"


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_training_goes_on_across_widgets_pages_and_a_reload(page, app_server):
    open_page(page, app_server, "train")
    _start(page, "e2e-live", epochs=60, n_train=2000)
    job = _tab_job(page)
    assert "job" not in page.url and job not in page.url
    _wait_while_training(page, page.locator(PROGRESS).filter(has_text=re.compile(r"epoch ([2-9]|\d\d)/")))
    before = _epoch(page)

    # Move another widget while it runs: the page reruns, the training does not notice.
    _set_number(page, "Latent size", 8, quiet_ms=0)  # the live job's fragments keep rerunning
    assert page.locator(PROGRESS).filter(has_text="e2e-live").count() == 1

    # Visit another page and come back: the job is still there, further on (or finished).
    page.get_by_role("link", name="Home").click()
    page.get_by_role("heading", name="What do autoencoders learn?").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    page.get_by_role("link", name="Train").first.click()
    _wait_job_shown(page, "e2e-live")
    assert "job" not in page.url and _tab_job(page) == job
    if page.locator(PROGRESS).count():
        assert _epoch(page) >= before

    # Reload the tab: the job id the tab kept re-attaches this new session to the same job.
    page.reload()
    _wait_job_shown(page, "e2e-live")
    assert "job" not in page.url and _tab_job(page) == job

    _wait_while_training(page, page.get_by_text("saved in your library as e2e-live"))
    wait_idle(page)
    legend = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="recon (train)")
    assert legend.count() >= 1 and "recon (test)" in legend.first.inner_text()
    assert _selected_model(page).startswith("e2e-live")  # the sidebar's model picker selected it
    _no_exception(page)

    # The replay slider goes back to the untrained model; the latent view's title follows.
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("Home")
    page.get_by_text("untrained model").first.wait_for(timeout=30_000)
    _no_exception(page)


def test_the_replay_map_decodes_under_the_cursor_with_each_epochs_model(page, app_server):
    """After a training the replay is a map: 30 steps across it decode in the page at 27 or more of them (the PCA
    plane of a 16-D code through the last epoch's decoder), and the same spot decodes otherwise once the replay is
    back at the untrained model (its own decoder, sent to the page)."""
    open_page(page, app_server, "train")
    _start(page, "e2e-replay", epochs=3, n_train=2000)
    _wait_while_training(page, page.get_by_text("saved in your library as e2e-replay"))
    wait_idle(page)
    frame = map_frame(page, container=REPLAY_FRAME)
    page.get_by_text(re.compile(r"Codes of [\d,]+ test images, after epoch 3")).wait_for(timeout=30_000)
    assert frame.locator("button[data-mode='lasso']").count() == 0  # (the replay keeps no selection)
    changed, _ = hover_across(page, frame, 0.5, moves=30)
    assert changed >= 27, f"the decoded picture changed at {changed} of 30 steps"
    assert frame.evaluate("() => window.aelabLive.frames") >= 30  # decoded in the page, not by the server
    trained_model = frame.evaluate("() => window.aelabLive.model")
    trained = canvas_digest(frame, DECODED)  # the last step's spot, as the trained model decodes it

    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("Home")
    page.get_by_text(re.compile(r"Codes of [\d,]+ test images, untrained model")).wait_for(timeout=30_000)
    frame = map_frame(page, container=REPLAY_FRAME)
    frame.wait_for_function("(before) => window.aelabLive.model && window.aelabLive.model !== before",
                            arg=trained_model, timeout=60_000)
    box = frame.locator(MAP_SURFACE).bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])  # (away, then back)
    page.mouse.move(box["x"] + 0.97 * box["width"], box["y"] + 0.5 * box["height"])
    wait_drawn(frame)
    assert canvas_digest(frame, DECODED) != trained
    _no_exception(page)


def test_cancel_stops_the_training_and_keeps_the_model(page, app_server):
    open_page(page, app_server, "train")
    _start(page, "e2e-cancel", epochs=300, n_train=1000)
    _wait_while_training(page, page.locator(PROGRESS).filter(has_text=re.compile(r"epoch [2-9]/")))
    page.get_by_role("button", name="Cancel training").click()
    _wait_while_training(page, page.get_by_text(re.compile(r"Cancelled after \d+ of 300 epochs")))
    assert page.get_by_text("saved in your library as e2e-cancel").count() == 1
    wait_idle(page)
    assert _selected_model(page).startswith("e2e-cancel")
    _no_exception(page)


def test_one_more_epoch_steps_a_finished_training(page, app_server):
    """The step button after a short training: one more epoch, queued and run like any job, saved over the model."""
    open_page(page, app_server, "train")
    _start(page, "e2e-step", epochs=1, n_train=200)
    _wait_while_training(page, page.get_by_text("Finished: 1 epoch in all"))
    page.get_by_role("button", name="One more epoch").click()
    _wait_while_training(page, page.get_by_text("Finished: 2 epochs in all"))
    assert page.get_by_text("saved in your library as e2e-step").count() == 1
    wait_idle(page)
    assert _selected_model(page).startswith("e2e-step")
    _no_exception(page)


def test_a_bad_name_gives_its_message_and_starts_nothing(page, app_server):
    open_page(page, app_server, "train")
    _set_text(page, "Save as", "no/slashes")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Invalid model name 'no/slashes'").wait_for(timeout=30_000)
    assert page.locator(PROGRESS).count() == 0 and "job=" not in page.url
    _no_exception(page)


def test_an_out_of_range_number_is_explained_as_soon_as_it_is_typed(page, app_server):
    """The browser sends what was typed (a number field's own parser turned 1e9 into 1 and NaN into 0): one message
    naming the knob and its range, Start disabled until the value is fixed."""
    open_page(page, app_server, "train")
    start = page.get_by_role("button", name="Start training")
    errors = page.locator('[data-testid="stAlertContentError"]')
    _set_number(page, "Learning rate", "NaN")
    page.get_by_text("Learning rate must be a number above 0 and at most 10, got 'NaN'").wait_for(timeout=30_000)
    assert errors.count() == 1 and start.is_disabled()
    _set_number(page, "Learning rate", "0.001")
    _set_number(page, "Epochs", "1e9")
    page.get_by_text("Epochs must be a whole number from 1 to 10000, got '1e9'").wait_for(timeout=30_000)
    assert errors.count() == 1 and start.is_disabled()
    _set_number(page, "Epochs", "3")
    page.wait_for_function("() => !document.body.innerText.includes('must be')", timeout=30_000)
    assert errors.count() == 0 and start.is_enabled()
    assert page.locator(PROGRESS).count() == 0 and "job=" not in page.url
    _no_exception(page)


def test_a_training_leaves_the_servers_log_without_a_warning(page, tmp_path):
    """A server of its own (its log holds this training only): a training in the worker process, then its model's
    UMAP computed in the background and shown on the Latent page. Before, the worker re-ran app.py: 117 "missing
    ScriptRunContext" warnings and "Session state does not function..." in the log of the first training."""
    home = tmp_path / "quiet"
    with running_app(home, log_name="server.log") as base:
        open_page(page, base, "train")
        _set_number(page, "Latent size", 6)
        _start(page, "e2e-quiet", epochs=2, n_train=500)
        _wait_while_training(page, page.get_by_text("saved in your library as e2e-quiet"))
        wait_idle(page)
        page.get_by_role("link", name="Latent space").click()
        page.get_by_role("radiogroup", name="Map").wait_for(timeout=60_000)
        wait_idle(page)
        page.get_by_role("radiogroup", name="Map").get_by_text("UMAP", exact=True).click()  # (the input is hidden)
        page.get_by_text("a small network learned from this map", exact=False).first.wait_for(timeout=300_000)
        map_frame(page, timeout=120_000)  # the UMAP map drawn, decoding through its learned inverse
        _no_exception(page)
    log = (home / "server.log").read_text(errors="replace")
    noisy = [line for line in log.splitlines() if re.search(r"warn|ScriptRunContext|Traceback|error", line, re.I)]
    assert noisy == [], "\n".join(noisy[:20])
