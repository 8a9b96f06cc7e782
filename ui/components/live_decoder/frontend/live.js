// The live decoder: runs an aelab decoder (ONNX) in this page with onnxruntime-web's single-threaded WebAssembly
// build, decodes on every pointer move, and tells Streamlit only what the user released.
//
// How the model arrives: Streamlit gives the model's content hash in every render; the bytes come (as a bytes
// argument of this component, over the session's own connection) only after this page asked for them, because
// neither this frame's memory nor the browser's IndexedDB held that hash. Nothing is fetched from a URL.
//
// Messages to Streamlit (the component's value, JSON, each with a fresh id "n" so the server handles it once):
//   {event: "need", hash}            send me the model's bytes
//   {event: "unavailable", reason}   no WebAssembly here, or the model would not load: use the server path
//   {event: "release", ...}          what the user settled on (a slider let go, a click on the plane)
import { MODES } from "./modes.js";

const live = (window.aelabLive = {
  status: "starting", ready: false, cache: null, frames: 0, inputSeq: 0, drawnSeq: 0, latencies: [],
  firstFrameEpoch: null, modelReadyEpoch: null, lastRelease: null, mode: null, error: null,
});

// ------------------------------------------------------------------------------------------- Streamlit protocol
function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}
const instance = Math.random().toString(36).slice(2, 8);
let counter = 0;
function setValue(value) { // returns the message's id
  const n = `${instance}-${++counter}`;
  post("streamlit:setComponentValue", { value: { ...value, n }, dataType: "json" });
  return n;
}
let lastHeight = -1;
function fitHeight() {
  const height = Math.ceil(document.getElementById("root").getBoundingClientRect().height) + 4;
  if (height !== lastHeight) {
    lastHeight = height;
    post("streamlit:setFrameHeight", { height });
  }
}
new ResizeObserver(fitHeight).observe(document.getElementById("root"));

// ------------------------------------------------------------------------------------------------ the runtime
let ortPromise = null;
function runtime() {
  if (typeof WebAssembly !== "object") return Promise.reject(new Error("this browser has no WebAssembly"));
  ortPromise ??= import("./vendor/ort.wasm.min.mjs").then((ort) => {
    ort.env.wasm.numThreads = 1; // Streamlit sends no cross-origin-isolation headers, so no threads anyway
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = new URL("./vendor/", location.href).href;
    return ort;
  });
  return ortPromise;
}

// ------------------------------------------------------------------------- the browser's cache, keyed by hash
const DB = "aelab-live", STORE = "models", KEEP = 24;
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
function inStore(mode, work) {
  return openDb().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  }));
}
async function cachedBytes(hash) {
  try { return (await inStore("readonly", (store) => store.get(hash)))?.bytes; } catch { return undefined; }
}
async function keepBytes(hash, bytes) {
  try {
    await inStore("readwrite", (store) => store.put({ bytes, saved: Date.now() }, hash));
    const keys = await inStore("readonly", (store) => store.getAllKeys());
    if (keys.length > KEEP) { // forget the oldest models beyond KEEP
      const all = await Promise.all(keys.map(async (k) => [k, (await inStore("readonly", (s) => s.get(k))).saved]));
      all.sort((a, b) => a[1] - b[1]);
      await inStore("readwrite", (store) => all.slice(0, all.length - KEEP).forEach(([k]) => store.delete(k)));
    }
  } catch { /* private windows may refuse IndexedDB: the model stays in this frame's memory only */ }
}

// ---------------------------------------------------------------------------------------------- the model
const sessions = new Map(); // hash -> Promise of an InferenceSession
let current = null; // {hash, session, ort, latentDim}
let asked = { hash: null, at: 0 };

// hash: the model that failed (that model takes the server path); none: this browser cannot decode at all
function unavailable(reason, hash = null) {
  live.status = "unavailable";
  live.error = reason;
  setValue({ event: "unavailable", reason, ...(hash ? { hash } : {}) });
}

function startSession(hash, bytes) {
  const created = runtime().then((ort) => ort.InferenceSession.create(new Uint8Array(bytes),
    { executionProviders: ["wasm"], graphOptimizationLevel: "all" }).then((session) => ({ ort, session })));
  sessions.set(hash, created);
  return created;
}

async function ensureModel(args) {
  const hash = args.hash;
  if (!sessions.has(hash)) {
    if (args.model) { // the bytes we asked for: keep them for next time
      const bytes = args.model.slice().buffer;
      live.cache = live.cache ?? "miss";
      startSession(hash, bytes);
      keepBytes(hash, bytes);
    } else {
      const stored = await cachedBytes(hash);
      if (sessions.has(hash)) return; // another render started it meanwhile
      if (!stored) {
        if (asked.hash !== hash || performance.now() - asked.at > 4000) { // ask once; again if the answer got lost
          asked = { hash, at: performance.now() };
          live.status = "fetching the model";
          setValue({ event: "need", hash });
          setTimeout(() => { if (latestArgs?.hash === hash && !sessions.has(hash)) ensureModel(latestArgs); }, 4500);
        }
        return;
      }
      live.cache = live.cache ?? "hit";
      startSession(hash, stored);
    }
  }
  try {
    const { ort, session } = await sessions.get(hash);
    if (latestArgs.hash !== hash || current?.hash === hash) return;
    current = { hash, ort, session, latentDim: args.latent_dim };
    live.ready = true;
    live.status = "ready";
    live.modelReadyEpoch ??= performance.timeOrigin + performance.now();
    pump();
  } catch (err) {
    sessions.delete(hash);
    unavailable(`the model would not load in the browser (${String(err.message || err).slice(0, 160)})`, hash);
  }
}

// ------------------------------------------------------------------------------------- decoding and drawing
let wanted = null, busy = false;

// codes: Float32Array (batch * latent_dim); draw(pixels: Float32Array) paints them; t: the pointer event's timeStamp
function want(codes, batch, draw, t = null) {
  wanted = { codes, batch, draw, t, seq: ++live.inputSeq };
  if (!busy) pump();
}

async function pump() {
  if (busy || !current) return;
  busy = true;
  try {
    while (wanted && current) {
      const job = wanted;
      wanted = null; // a newer code that arrives while this one decodes replaces any waiting one
      const { ort, session, latentDim } = current;
      const z = new ort.Tensor("float32", job.codes, [job.batch, latentDim]);
      const out = await session.run({ z });
      job.draw(out.x_hat.data);
      live.lastCodes = Array.from(job.codes); // what is on the canvas now (tests compare it with torch's decode)
      live.frames += 1;
      live.drawnSeq = job.seq;
      if (job.t !== null) live.latencies.push(performance.now() - job.t);
      live.firstFrameEpoch ??= performance.timeOrigin + performance.now();
    }
  } catch (err) {
    unavailable(`decoding failed in the browser (${String(err.message || err).slice(0, 160)})`, current?.hash);
  } finally {
    busy = false;
  }
}

// Pixel values -> grey levels exactly as aelab.analysis.images.to_uint8 does: clip to [0, 1], * 255 + 0.5, floor.
// Upscaled by whole pixels (nearest neighbour) into the canvas at (x0, y0).
function paint(ctx, pixels, offset, height, width, scale, x0 = 0, y0 = 0) {
  const image = ctx.createImageData(width * scale, height * scale);
  const data = image.data, rowStride = width * scale * 4;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const v = pixels[offset + r * width + c];
      const grey = Math.floor(Math.min(1, Math.max(0, v)) * 255 + 0.5) || 0;
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

// ------------------------------------------------------------------------------------------------ rendering
let latestArgs = null, view = null, layout = null;
const api = {
  want, paint, fitHeight, pointerTime,
  release(payload) { live.lastRelease = payload; return setValue({ event: "release", ...payload }); },
  get ready() { return live.ready; },
};

function applyTheme(theme) {
  if (!theme) return;
  const style = document.documentElement.style;
  style.setProperty("--text", theme.textColor);
  style.setProperty("--primary", theme.primaryColor);
  style.setProperty("--font", theme.font);
}

function render(args, theme) {
  latestArgs = args;
  applyTheme(theme);
  live.mode = args.mode;
  if (layout !== args.layout || !view) { // a new layout (other dimensions, ranges, anchors): build it again
    layout = args.layout;
    const root = document.getElementById("root");
    root.replaceChildren();
    view = MODES[args.mode](root, args, api);
  } else {
    view.update(args);
  }
  fitHeight();
  if (typeof WebAssembly !== "object") {
    if (live.status !== "unavailable") unavailable("this browser has no WebAssembly");
    return;
  }
  ensureModel(args).then(() => { if (current) view.redraw(); });
}

window.addEventListener("message", (event) => {
  if (event.data?.type === "streamlit:render") render(event.data.args, event.data.theme);
});
post("streamlit:componentReady", { apiVersion: 1 });
