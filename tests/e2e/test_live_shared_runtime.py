"""The page's live decoder runtime (frontend/runtime.js) is shared by every live decoder of a tab and by its warm-up, so
decodes asked for at the same moment from several of them must all come back, and right: onnxruntime-web's WebAssembly
backend is not re-entrant (runtime.js queues its calls). Seen before the queue: Latent left its model as the browser's
last one, Interpolate's warm-up, scrub and triangle then decoded with that session all at once, one decode came back
without its output, and the page fell back to the server path for good (tests/e2e/test_present.py's interpolate case,
2 runs in 5)."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_idle

pytestmark = pytest.mark.e2e

# In the component's own page (its folder holds runtime.js and warmup.onnx): three decodes at a time, each started 0 to
# 6 microtasks late (343 patterns; without the queue 64 of these 1,029 decodes failed, the same ones every time here),
# each then compared with the same code decoded alone. Returns what went wrong, at most 10 lines.
OVERLAP_JS = """async () => {
  const { openRuntime } = await import('./runtime.js');
  const runtime = await openRuntime();
  const bytes = await (await fetch('./warmup.onnx')).arrayBuffer();  // latent_dim 2 -> 8x8 pixels
  const decoder = await runtime.decoder('overlap-test', bytes);
  const code = (i) => Float32Array.of(Math.sin(i), Math.cos(3 * i));
  const decode = (i) => decoder.run(code(i), 1, 2).then((x) => Array.from(x));
  const ticks = (k) => { let p = Promise.resolve(); for (let j = 0; j < k; j++) p = p.then(() => {}); return p; };
  const got = new Map(), wrong = [];
  let n = 0;
  for (let a = 0; a < 7; a++) for (let b = 0; b < 7; b++) for (let c = 0; c < 7; c++) {
    const ids = [n++, n++, n++];
    const settled = await Promise.allSettled([a, b, c].map((k, j) => ticks(k).then(() => decode(ids[j]))));
    settled.forEach((s, j) => s.status === 'fulfilled' ? got.set(ids[j], s.value)
      : wrong.push(`delays ${a}${b}${c}, decode ${j}: ${String(s.reason).slice(0, 100)}`));
  }
  for (const [i, pixels] of got) {
    const alone = await decode(i);
    if (pixels.some((v, j) => Math.abs(v - alone[j]) > 1e-6)) wrong.push(`decode ${i} differs from the code alone`);
  }
  return wrong.slice(0, 10);
}"""


def test_decodes_overlapping_on_one_runtime_all_come_back_right(page, app_server):
    open_page(page, app_server, "interpolate")  # (the live decoder's files are served once a page has declared it)
    src = page.locator(".st-key-interpolate_live_scrub_box iframe").first.get_attribute("src")
    page.goto(f"{app_server}{src}" if src.startswith("/") else src)
    assert page.evaluate(OVERLAP_JS) == []


# Both live decoders of Interpolate: "ready" (decoding in the page), or what went wrong (a frame that said it cannot
# decode, or the page's notice once the server path took over and removed the frames).
INTERPOLATE_LIVE_JS = """() => {
  if (document.body.innerText.includes('Live decoding is off')) return {notice: true};
  const states = ['.st-key-interpolate_live_scrub_box', '.st-key-interpolate_live_triangle_box'].map((box) => {
    const frame = document.querySelector(box + ' iframe');
    const live = frame && frame.contentWindow && frame.contentWindow.aelabLive;
    const canvas = live && frame.contentDocument.querySelector('canvas.decoded');
    return live ? {status: live.status, error: live.error, canvas: canvas && canvas.dataset.live} : null;
  });
  const done = states.every((s) => s && (s.status === 'unavailable' || (s.status === 'ready' && s.canvas === 'ready')));
  return done ? {states} : null;
}"""


def test_interpolate_decodes_live_after_latent_in_the_same_browser(browser, app_server):
    """Latent then Interpolate in one context, as tests/e2e/test_present.py's module-scoped page opens them: Latent
    leaves its model in IndexedDB and as the browser's last one, so Interpolate's warm-up and both of its live decoders
    start on the same session together."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        for path in ("latent", "interpolate"):
            page.goto(f"{app_server}/{path}?present=1")
            page.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
            wait_idle(page, timeout=120_000)
        page.wait_for_function(INTERPOLATE_LIVE_JS, timeout=120_000, polling=200)
        page.wait_for_timeout(2000)  # (a decode that fails just after the first pictures: the page reruns without them)
        wait_idle(page)
        outcome = page.evaluate(INTERPOLATE_LIVE_JS)
        assert outcome is not None, "the live decoders went away"
        assert "notice" not in outcome, "Interpolate fell back to the server path"
        assert all(s["status"] == "ready" for s in outcome["states"]), outcome
    finally:
        context.close()
