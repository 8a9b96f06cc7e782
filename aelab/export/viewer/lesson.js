// A lesson file's viewer: shows the sections aelab saved (aelab/export/lesson.py) and decodes live in this page,
// from the file alone. Everything it runs is embedded in the file, base64 in <script type="application/octet-stream">
// elements (gzip-compressed where data-encoding="gzip", inflated here with DecompressionStream):
//   aelab-modes      the live decoder's views (ui/components/live_decoder/frontend/modes.js, as the app serves it)
//   aelab-ort        onnxruntime-web's ES module; aelab-ort-glue its WebAssembly glue; aelab-ort-wasm the binary
//   aelab-model      the model's decoder as ONNX
// The modules are imported from blob: URLs made here and the binary handed to onnxruntime-web as bytes, so nothing
// is fetched: the page's Content-Security-Policy allows no network at all.
//
// window.aelabLive keeps the live decoder's counters under the same names (frames, inputSeq, drawnSeq, latencies,
// lastCodes, firstFrameEpoch), so the app's browser tests and benchmarks read a lesson as they read the component.
// When every section has drawn its first picture, <body data-ready="1"> (and aelabLive.readyEpoch).

const live = (window.aelabLive = {
  status: "starting", ready: false, frames: 0, inputSeq: 0, drawnSeq: 0, latencies: [], firstFrameEpoch: null,
  modelReadyEpoch: null, readyEpoch: null, lastRelease: null, lastCodes: null, mode: null, error: null,
});
const byId = (id) => document.getElementById(id);
const say = (text) => { byId("aelab-status").textContent = text; };
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

// ------------------------------------------------------------------------------------------ the embedded files
function base64Bytes(text) {
  const clean = text.replace(/\s+/g, "");
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(clean);
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function embedded(id) {
  const node = byId(id);
  const bytes = base64Bytes(node.textContent);
  if (node.dataset.encoding !== "gzip") return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function moduleUrl(id) {
  return URL.createObjectURL(new Blob([await embedded(id)], { type: "text/javascript" }));
}

async function runtime() {
  if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
  const [ortUrl, glueUrl, wasm, model] = await Promise.all(
    [moduleUrl("aelab-ort"), moduleUrl("aelab-ort-glue"), embedded("aelab-ort-wasm"), embedded("aelab-model")]);
  const ort = await import(ortUrl);
  ort.env.wasm.numThreads = 1; // a file:// page is not cross-origin isolated: no threads
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = { mjs: glueUrl };
  ort.env.wasm.wasmBinary = wasm;
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"],
    graphOptimizationLevel: "all" });
  return { ort, session };
}

// ------------------------------------------------------------------------------------- decoding and drawing
// As the live decoder does (frontend/live.js), with one waiting code per view: a page may hold several views
// (Interpolate's scrub and triangle), and a newer code for a view replaces its waiting one.
let current = null, busy = false, latentDim = 0;
const waiting = new Map(); // view id -> {codes, batch, draw, t, seq}, oldest first
const drawnViews = new Set();
let viewCount = 0;

function want(view, codes, batch, draw, t = null) {
  waiting.delete(view);
  waiting.set(view, { codes, batch, draw, t, seq: ++live.inputSeq });
  if (!busy) pump();
}

async function pump() {
  if (busy || !current) return;
  busy = true;
  try {
    while (waiting.size && current) {
      const [view, job] = waiting.entries().next().value;
      waiting.delete(view);
      const { ort, session } = current;
      const out = await session.run({ z: new ort.Tensor("float32", job.codes, [job.batch, latentDim]) });
      job.draw(out.x_hat.data);
      live.lastCodes = Array.from(job.codes);
      live.frames += 1;
      live.drawnSeq = job.seq;
      if (job.t !== null) live.latencies.push(performance.now() - job.t);
      live.firstFrameEpoch ??= performance.timeOrigin + performance.now();
      firstPicture(view);
    }
  } catch (err) {
    fail(`decoding failed (${String(err.message || err).slice(0, 160)})`);
  } finally {
    busy = false;
  }
}

function firstPicture(view) {
  if (drawnViews.has(view)) return;
  drawnViews.add(view);
  if (drawnViews.size === viewCount) {
    live.readyEpoch = performance.timeOrigin + performance.now();
    live.status = "ready";
    document.body.dataset.ready = "1";
    say("Ready: decoded in this page, offline.");
  }
}

// Pixel values -> grey levels exactly as aelab.analysis.images.to_uint8 does: clip to [0, 1], * 255 + 0.5, floor.
// Upscaled by whole pixels (nearest neighbour) into the canvas at (x0, y0).
function paint(ctx, pixels, offset, height, width, scale, x0 = 0, y0 = 0) {
  const image = ctx.createImageData(width * scale, height * scale);
  const data = image.data, rowStride = width * scale * 4;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const grey = Math.floor(Math.min(1, Math.max(0, pixels[offset + r * width + c])) * 255 + 0.5) || 0;
      for (let dy = 0; dy < scale; dy++) {
        let i = (r * scale + dy) * rowStride + c * scale * 4;
        for (let dx = 0; dx < scale; dx++, i += 4) {
          data[i] = data[i + 1] = data[i + 2] = grey;
          data[i + 3] = 255;
        }
      }
    }
  }
  ctx.putImageData(image, x0, y0);
}

// The pointer event behind an input: a range input's "input" event comes from the pointermove that moved it.
let lastPointer = { t: null, at: 0 };
for (const type of ["pointermove", "pointerdown", "mousemove", "mousedown"]) {
  window.addEventListener(type, (e) => { lastPointer = { t: e.timeStamp, at: performance.now() }; }, true);
}
function pointerTime(event) {
  return performance.now() - lastPointer.at < 50 ? lastPointer.t : event.timeStamp;
}

function apiFor(view) {
  return {
    want: (codes, batch, draw, t = null) => want(view, codes, batch, draw, t), paint, pointerTime,
    fitHeight() {}, // (the app's frame resizes itself; this page flows)
    release(payload) { live.lastRelease = payload; return null; }, // no server: a released value stays here
    get ready() { return live.ready; },
  };
}

// ------------------------------------------------------------------------------------------------ the page
function section(parent, part, id, lesson, MODES) {
  if (!Object.hasOwn(MODES, part.mode)) throw new Error(`this file asks for an unknown view (${part.mode})`);
  const box = el("section", { className: "lesson-section" }, [el("h2", { textContent: part.heading }),
    el("p", { className: "lesson-text", textContent: part.text })]);
  if (part.images.length) {
    box.append(el("div", { className: "lesson-images" }, part.images.map((image) => el("figure", {}, [
      el("img", { src: `data:image/png;base64,${image.png}`, alt: image.caption }),
      el("figcaption", { textContent: image.caption })]))));
  }
  const root = el("div", { className: "lesson-view" });
  box.append(root);
  parent.append(box);
  const args = { mode: part.mode, spec: part.spec, latent_dim: lesson.model.latent_dim,
    image_size: lesson.model.image_size, scale: lesson.scale };
  return MODES[part.mode](root, args, apiFor(id));
}

function fail(reason) {
  live.status = "unavailable";
  live.error = reason;
  say(`The decoder cannot run in this browser: ${reason}.`);
}

async function main() {
  const lesson = JSON.parse(byId("aelab-lesson").textContent);
  latentDim = lesson.model.latent_dim;
  live.mode = lesson.sections.map((part) => part.mode).join(",");
  const started = runtime(); // the runtime compiles while the views are built
  const { MODES } = await import(await moduleUrl("aelab-modes"));
  const views = lesson.sections.map((part, id) => section(byId("aelab-main"), part, id, lesson, MODES));
  viewCount = views.length;
  say("Loading the decoder...");
  current = await started;
  live.ready = true;
  live.modelReadyEpoch = performance.timeOrigin + performance.now();
  views.forEach((view) => view.redraw());
}

main().catch((err) => fail(String(err.message || err).slice(0, 200)));
