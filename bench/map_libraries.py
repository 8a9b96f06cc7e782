"""Scatter-map libraries side by side in one headless Chromium (software WebGL here): regl-scatterplot, deck.gl, Plotly.

Usage: .venv/bin/python -m bench.map_libraries [--points 5000,70000] [--rounds 2] [--libraries regl,deck,plotly]
                                              [--baseline 1000] [--moves 60] [--wheel 20] [--deck-version 9.4.0]

No Streamlit server: each library gets a small page of its own, served over http from a temp dir (a thread of
http.server), all drawing the same synthetic map: N seeded 2-D points in 10 Gaussian clusters, in [-1, 1], coloured
by cluster (10 colours), 6 px points, a 900 x 700 px map. The libraries:
- regl: regl-scatterplot 1.16.0, the files the Latent page vendors (ui/components/live_decoder/frontend/scatter/),
  loaded as the page loads them (regl as a classic script, the ES module through an import map);
- deck: deck.gl's ScatterplotLayer in an OrthographicView, its standalone bundle (dist.min.js) fetched with
  `npm pack deck.gl@<version>` into the temp dir at run time (skipped, saying why, when npm or its registry fails);
- plotly: Plotly scattergl as the page drew it before (one trace per cluster, pan drag, scroll zoom on), and at the
  --baseline N (1,000: the app's size before) also Plotly's SVG scatter, as the app drew maps of few points.
Each library, each N, each round, in a fresh browser context, in turn:
1. first drawn frame: ms from navigation start (performance.now()) to the points drawn: regl after
   `await scatterplot.draw(points)` and one requestAnimationFrame; deck at its first onAfterRender with the layer
   loaded; Plotly after Plotly.newPlot resolves and one requestAnimationFrame (the data's fetch is in every one).
   That is when the draw was asked of WebGL, not when its pixels are done: "on screen" is two frames later, when the
   page's frame pipeline has moved on (with software WebGL, seconds later for a library whose drawing is slow);
2. frames while panning and zooming: the mouse pressed in the map, moved --moves times (one move per page frame)
   and released, then --wheel wheel steps zooming in; the page records its requestAnimationFrame timestamps from
   the press to two frames after the last wheel step (for Plotly: after the relayout its last step triggers); the
   intervals of all rounds pooled: median and p95 (ms), and frames per interaction. Between two scripted inputs the
   page has idle frames (16.7 ms), so also the "input frames" alone: the intervals that start with a frame in which
   an input was handled (its pointer or wheel event ran before the next frame began), the frames a person sees;
3. the page's JS heap after drawing, after a gc(): performance.memory.usedJSHeapSize (--enable-precise-memory-info);
4. the WebGL renderer (WEBGL_debug_renderer_info's UNMASKED_RENDERER_WEBGL): SwiftShader means software WebGL.
Then a table per N and the ratios against Plotly scattergl measured in the same run. "moved" says whether the
map's view changed over the interaction (a library that ignored the drag would have idle frames only).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

import numpy as np
import plotly
from playwright.sync_api import sync_playwright

from bench.slider_latency import percentile
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, REPO, VIEWPORT

FRONTEND = REPO / "ui" / "components" / "live_decoder" / "frontend"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CLUSTERS, SEED, WIDTH, HEIGHT = 10, 0, 900, 700
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]  # tab10, one per cluster
LIBRARIES = {"regl": ["regl"], "deck": ["deck"], "plotly": ["plotly-gl"]}  # --libraries -> the pages measured
PAGES = {"regl": "regl.html", "deck": "deck.html", "plotly-gl": "plotly.html?type=scattergl",
         "plotly-svg": "plotly.html?type=scatter"}

# The benchmark's side of every page: requestAnimationFrame timestamps while recording, the first drawn frame, errors
HARNESS_JS = """
window.bench = { frames: [], inputs: [], recording: false, firstFrame: null, onScreen: null, error: null, settles: 0,
                 view: () => "" };
const tick = (t) => { if (bench.recording) bench.frames.push(t); requestAnimationFrame(tick); };
requestAnimationFrame(tick);
for (const type of ["pointerdown", "pointermove", "pointerup", "wheel"]) { // when the page handled each input
  addEventListener(type, () => { if (bench.recording) bench.inputs.push(performance.now()); },
                   { capture: true, passive: true });
}
bench.drawn = () => { // the library's first frame; "on screen" two frames later, once the frame pipeline moved on
  if (bench.firstFrame !== null) return;
  bench.firstFrame = performance.now();
  requestAnimationFrame(() => requestAnimationFrame(() => { bench.onScreen = performance.now(); }));
};
bench.fail = (err) => { bench.error = String((err && (err.stack || err.message)) || err); };
window.addEventListener("error", (e) => bench.fail(e.error || e.message));
window.addEventListener("unhandledrejection", (e) => bench.fail(e.reason));
bench.COLOURS = __COLOURS__;
bench.points = async () => { // the map's points: x, y (float32, in [-1, 1]) and the cluster (uint8), N each
  const n = Number(new URLSearchParams(location.search).get("n"));
  const buffer = await (await fetch(`points-${n}.bin`)).arrayBuffer();
  return { n, x: new Float32Array(buffer, 0, n), y: new Float32Array(buffer, 4 * n, n),
           c: new Uint8Array(buffer, 8 * n, n) };
};
""".replace("__COLOURS__", json.dumps(COLOURS))

HEAD = f"""<!doctype html>
<html><head><meta charset="utf-8">
<style>body {{ margin: 0; }} #map {{ position: relative; width: {WIDTH}px; height: {HEIGHT}px; }}</style>
<script src="harness.js"></script>
"""

# regl-scatterplot as frontend/map.js loads it: regl.min.js sets window.createREGL, regl.js hands it to the module
REGL_HTML = HEAD + f"""<script type="importmap">
{{"imports": {{"regl": "./regl.js", "pub-sub-es": "./scatter/pub-sub-es.js"}}}}
</script>
<script src="scatter/regl.min.js"></script>
</head><body><canvas id="map"></canvas>
<script type="module">
import createScatterplot from "./scatter/regl-scatterplot.esm.js";
try {{
  const {{ n, x, y, c }} = await bench.points();
  const canvas = document.getElementById("map"), ratio = window.devicePixelRatio || 1;
  canvas.width = {WIDTH} * ratio;
  canvas.height = {HEIGHT} * ratio;
  const plot = bench.map = createScatterplot({{ canvas, width: {WIDTH}, height: {HEIGHT}, pointSize: 6, opacity: 0.85,
    pointColor: bench.COLOURS, colorBy: "valueA", backgroundColor: [1, 1, 1, 1] }});
  await plot.draw(Array.from({{ length: n }}, (_, i) => [x[i], y[i], c[i], 0]));
  requestAnimationFrame(bench.drawn);
  bench.view = () => JSON.stringify(Array.from(plot.get("cameraView")));
}} catch (err) {{ bench.fail(err); }}
</script></body></html>
"""

# deck.gl's standalone bundle (window.deck); the points as binary attributes, deck's fast path
DECK_HTML = HEAD + f"""<script src="deck/dist.min.js"></script>
</head><body><div id="map"></div>
<script type="module">
try {{
  const {{ n, x, y, c }} = await bench.points();
  const positions = new Float32Array(2 * n), colours = new Uint8Array(4 * n);
  const rgb = bench.COLOURS.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  for (let i = 0; i < n; i++) {{
    positions[2 * i] = x[i]; positions[2 * i + 1] = y[i];
    colours.set([...rgb[c[i]], 255], 4 * i);
  }}
  const layer = new deck.ScatterplotLayer({{ id: "points", radiusUnits: "pixels", getRadius: 3, opacity: 0.85,
    data: {{ length: n, attributes: {{ getPosition: {{ value: positions, size: 2 }},
                                      getFillColor: {{ value: colours, size: 4 }} }} }} }});
  let view = {{ target: [0, 0, 0], zoom: Math.log2({HEIGHT} / 2) }}; // [-1, 1] across the map's height
  bench.map = new deck.Deck({{ parent: document.getElementById("map"), width: {WIDTH}, height: {HEIGHT},
    views: new deck.OrthographicView({{ id: "map" }}), initialViewState: view, controller: true, layers: [layer],
    onViewStateChange: ({{ viewState }}) => {{ view = viewState; }},
    onAfterRender: () => {{ if (layer.isLoaded) bench.drawn(); }},
    onError: (err) => bench.fail(err) }});
  bench.view = () => JSON.stringify([view.target, view.zoom]);
}} catch (err) {{ bench.fail(err); }}
</script></body></html>
"""

# Plotly as ui/latent/figures.py drew the map: one trace per cluster; type=scattergl or scatter (SVG)
PLOTLY_HTML = HEAD + """<script src="plotly.min.js"></script>
</head><body><div id="map"></div>
<script type="module">
try {
  const type = new URLSearchParams(location.search).get("type");
  const { n, x, y, c } = await bench.points();
  const traces = bench.COLOURS.map((colour, k) => {
    const keep = [];
    for (let i = 0; i < n; i++) if (c[i] === k) keep.push(i);
    return { type, mode: "markers", name: `cluster ${k}`, x: Float32Array.from(keep, (i) => x[i]),
             y: Float32Array.from(keep, (i) => y[i]),
             marker: { size: 6, color: colour, opacity: 0.85, line: { width: 0 } } };
  });
  const gd = document.getElementById("map");
  await Plotly.newPlot(gd, traces, { width: __WIDTH__, height: __HEIGHT__, margin: { l: 10, r: 10, t: 36, b: 10 },
    dragmode: "pan", hovermode: "closest", plot_bgcolor: "#FFFFFF",
    xaxis: { showgrid: false, zeroline: false }, yaxis: { showgrid: false, zeroline: false } },
    { scrollZoom: true, responsive: false });
  requestAnimationFrame(bench.drawn);
  gd.on("plotly_relayout", () => { bench.settles += 1; });
  bench.view = () => JSON.stringify([gd._fullLayout.xaxis.range, gd._fullLayout.yaxis.range]);
} catch (err) { bench.fail(err); }
</script></body></html>
""".replace("__WIDTH__", str(WIDTH)).replace("__HEIGHT__", str(HEIGHT))

RENDERER_JS = """() => { const gl = document.createElement('canvas').getContext('webgl');
  if (!gl) return 'no WebGL';
  const d = gl.getExtension('WEBGL_debug_renderer_info');
  return d ? gl.getParameter(d.UNMASKED_RENDERER_WEBGL) : 'unknown (no WEBGL_debug_renderer_info)'; }"""
NEXT_FRAME_JS = "() => new Promise((resolve) => requestAnimationFrame(() => resolve()))"
HEAP_JS = "() => { if (window.gc) gc(); return performance.memory.usedJSHeapSize; }"


def write_points(root: Path, n: int) -> None:
    """points-N.bin: x (float32 N), y (float32 N), cluster (uint8 N); 10 seeded Gaussian clusters, scaled to [-1, 1]."""
    rng = np.random.default_rng(SEED)
    centres = rng.uniform(-1, 1, (CLUSTERS, 2))
    cluster = rng.integers(0, CLUSTERS, n)
    xy = centres[cluster] + rng.normal(0, 0.12, (n, 2))
    xy /= np.abs(xy).max()
    (root / f"points-{n}.bin").write_bytes(xy[:, 0].astype(np.float32).tobytes() + xy[:, 1].astype(np.float32).tobytes()
                                           + cluster.astype(np.uint8).tobytes())


def fetch_deck(root: Path, version: str) -> str | None:
    """deck.gl's dist.min.js into root/deck with `npm pack`; None if that worked, else why not."""
    if not shutil.which("npm"):
        return "npm is not installed"
    try:
        done = subprocess.run(["npm", "pack", f"deck.gl@{version}", "--pack-destination", str(root)],
                              capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        return "npm pack timed out (is the npm registry reachable?)"
    if done.returncode != 0:
        return f"npm pack deck.gl@{version} failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
    with tarfile.open(root / done.stdout.strip().splitlines()[-1]) as tar:
        (root / "deck").mkdir()
        (root / "deck" / "dist.min.js").write_bytes(tar.extractfile("package/dist.min.js").read())
    return None


def write_site(root: Path, points: list[int]) -> None:
    shutil.copytree(FRONTEND / "scatter", root / "scatter")
    shutil.copy(FRONTEND / "regl.js", root / "regl.js")
    shutil.copy(PLOTLY_JS, root / "plotly.min.js")
    (root / "harness.js").write_text(HARNESS_JS)
    (root / "regl.html").write_text(REGL_HTML)
    (root / "deck.html").write_text(DECK_HTML)
    (root / "plotly.html").write_text(PLOTLY_HTML)
    for n in points:
        write_points(root, n)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(browser, url: str, library: str, moves: int, wheel: int) -> dict:
    """One page in a fresh context: first drawn frame, heap, renderer, then the scripted pan and zoom."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.bench && (bench.onScreen !== null || bench.error)", timeout=300_000)
    if error := page.evaluate("() => bench.error"):
        context.close()
        raise RuntimeError(f"{library}: {error}")
    result = {"first_ms": page.evaluate("() => bench.firstFrame"), "screen_ms": page.evaluate("() => bench.onScreen"),
              "heap": page.evaluate(HEAP_JS), "renderer": page.evaluate(RENDERER_JS)}
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    before = page.evaluate("() => bench.view()")
    page.evaluate("() => { bench.frames = []; bench.recording = true; }")
    page.mouse.down()
    for k in range(1, moves + 1):  # one move per page frame: at most the pace a browser gives pointer events
        page.mouse.move(x - 0.3 * box["width"] * k / moves, y - 0.2 * box["height"] * k / moves)
        page.evaluate(NEXT_FRAME_JS)
    page.mouse.up()
    for k in range(wheel):
        if k == wheel - 1:
            settles = page.evaluate("() => bench.settles")
        page.mouse.wheel(0, -100)
        page.evaluate(NEXT_FRAME_JS)
    if library.startswith("plotly"):  # Plotly redraws its axes in a relayout 50 ms after the last wheel step
        page.wait_for_function("n => bench.settles > n", arg=settles, timeout=120_000)
    page.evaluate(NEXT_FRAME_JS)
    page.evaluate(NEXT_FRAME_JS)
    frames, inputs = page.evaluate("() => { bench.recording = false; return [bench.frames, bench.inputs]; }")
    result["moved"] = page.evaluate("() => bench.view()") != before
    result["intervals"] = [b - a for a, b in zip(frames, frames[1:])]
    # the frames that handled an input (its handler ran between their start and the next frame's): what a person
    # dragging sees; the other frames are idle ones, between two scripted inputs
    handled = np.searchsorted(frames, inputs, side="right") - 1
    result["input_intervals"] = [result["intervals"][i] for i in sorted(set(handled.tolist()))
                                 if 0 <= i < len(result["intervals"])]
    context.close()
    return result


COLUMNS = [  # (key, heading, format) of the table
    ("first", "first frame ms", ".0f"), ("screen", "on screen ms", ".0f"), ("median", "frame median", ".1f"),
    ("p95", "frame p95", ".1f"), ("input_median", "input frame median", ".1f"), ("input_p95", "input frame p95", ".1f"),
    ("frames", "frames", ".0f"), ("heap", "JS heap MB", ".1f")]
RATIOS = [("first", "first frame"), ("screen", "on screen"), ("p95", "p95 frame"), ("input_p95", "p95 input frame"),
          ("heap", "JS heap")]


def summary(runs: list[dict]) -> dict:
    intervals = [d for run in runs for d in run["intervals"]]
    inputs = [d for run in runs for d in run["input_intervals"]]
    return {"first": statistics.median(run["first_ms"] for run in runs),
            "screen": statistics.median(run["screen_ms"] for run in runs),
            "median": statistics.median(intervals), "p95": percentile(intervals, 0.95),
            "input_median": statistics.median(inputs), "input_p95": percentile(inputs, 0.95),
            "frames": statistics.median(len(run["intervals"]) for run in runs),
            "heap": statistics.median(run["heap"] for run in runs) / 2**20,
            "moved": "yes" if all(run["moved"] for run in runs) else "NO"}


def report(n: int, rounds: int, results: dict[str, list[dict]]) -> None:
    print(f"\nN = {n:,} points (times in ms; first frame, on screen, frames and heap: median of {rounds} rounds; "
          "frame intervals: all rounds pooled)")
    print(f"{'library':<11}" + "".join(f"{heading:>{len(heading) + 2}}" for _, heading, _ in COLUMNS) + "  moved")
    rows = {library: summary(runs) for library, runs in results.items()}
    for library, row in rows.items():
        print(f"{library:<11}" + "".join(f"{row[key]:>{len(heading) + 2}{spec}}" for key, heading, spec in COLUMNS)
              + f"  {row['moved']}")
    reference = rows.get("plotly-gl")
    for library, row in rows.items():
        if reference and library != "plotly-gl":
            print(f"  {library} / plotly-gl: " + ", ".join(
                f"{name} {row[key] / reference[key]:.2f}x" for key, name in RATIOS if reference[key]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="5000,70000", help="comma-separated point counts")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--libraries", default="regl,deck,plotly", help=f"comma-separated, of {', '.join(LIBRARIES)}")
    parser.add_argument("--baseline", type=int, default=1000,
                        help="a point count also measured, with Plotly's SVG scatter too (0: none)")
    parser.add_argument("--moves", type=int, default=60, help="mouse moves of the pan drag")
    parser.add_argument("--wheel", type=int, default=20, help="wheel steps of the zoom")
    parser.add_argument("--deck-version", default="9.4.0")
    args = parser.parse_args()
    points = sorted({int(n) for n in args.points.split(",")} | ({args.baseline} if args.baseline else set()))
    chosen = [name.strip() for name in args.libraries.split(",")]
    if unknown := set(chosen) - set(LIBRARIES):
        parser.error(f"unknown libraries: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="map-libraries-") as tmp:
        root = Path(tmp)
        write_site(root, points)
        if "deck" in chosen and (why := fetch_deck(root, args.deck_version)):
            print(f"deck.gl skipped: {why}")
            chosen.remove("deck")
        pages = [page for name in chosen for page in LIBRARIES[name]]
        print(f"libraries: regl-scatterplot 1.16.0 (vendored), "
              f"{'deck.gl ' + args.deck_version if 'deck' in chosen else 'no deck.gl'}, "
              f"{'plotly.js from plotly ' + plotly.__version__ if 'plotly' in chosen else 'no Plotly'}")
        server, base = serve(root)
        results: dict[int, dict[str, list[dict]]] = {n: {} for n in points}
        renderers = set()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[*CHROMIUM_ARGS, "--enable-precise-memory-info", "--js-flags=--expose-gc"])
                warmup = browser.new_page()  # the browser's first WebGL context (its GL process) is no page's cost
                warmup.goto(f"{base}/harness.js")
                renderers.add(warmup.evaluate(RENDERER_JS))
                warmup.close()
                for r in range(args.rounds):
                    for n in points:
                        order = pages + (["plotly-svg"] if n == args.baseline and "plotly" in chosen else [])
                        order = order[r % len(order):] + order[:r % len(order)]  # each round starts elsewhere
                        for library in order:
                            sep = "&" if "?" in PAGES[library] else "?"
                            result = measure(browser, f"{base}/{PAGES[library]}{sep}n={n}", library,
                                             args.moves, args.wheel)
                            renderers.add(result["renderer"])
                            results[n].setdefault(library, []).append(result)
                            print(f"round {r + 1}, N = {n}, {library}: first frame {result['first_ms']:.0f} ms, "
                                  f"{len(result['intervals'])} frames", flush=True)
                browser.close()
        finally:
            server.shutdown()
    print(f"\nWebGL renderer: {'; '.join(sorted(renderers))}")
    for n in points:
        report(n, args.rounds, {page: results[n][page] for page in [*pages, "plotly-svg"] if page in results[n]})


if __name__ == "__main__":
    main()
