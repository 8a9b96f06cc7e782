// The live decoder: runs an aelab decoder (ONNX) in this page with onnxruntime-web's single-threaded WebAssembly
// build (runtime.js: compiled once per tab), decodes on every pointer move, and tells Streamlit only what the user
// released. Until the page can decode (the runtime compiling, the model on its way), the server decodes instead, so
// a slider is never dead: the codes go to Streamlit, the pixels come back. Every decoded canvas carries data-live:
// "server" while it shows the server's pictures, "ready" from the first picture decoded in this page.
//
// How the model arrives: Streamlit gives the model's content hash in every render; the bytes come (as a bytes
// argument of this component, over the session's own connection) only after this page asked for them, because
// neither the browser's IndexedDB (models.js) nor the page's runtime held that hash. Nothing is fetched from a URL.
// window.aelabLive keeps what tests and bench/live_decoder.py read: model (the hash decoding), frames (decoded
// here), serverFrames, inputSeq and drawnSeq, latencies, the epochs of the first render, runtime, model and frames,
// runtimeFrom ("page": the page's runtime, kept across page changes; "frame": this frame's own) and cache ("hit",
// "miss" or "page").
//
// Messages to Streamlit (the component's value, JSON, each with a fresh id "n" so the server handles it once):
//   {event: "need", hash}            send me the model's bytes
//   {event: "need_blob", blob}       send me these bytes a view needs beside the model (hashes: the map's images)
//   {event: "decode"}                decode the codes of the "decode" field (below) on the server
//   {event: "unavailable", reason}   no WebAssembly here, or the model would not load: use the server path
//   {event: "release", ...}          what the user settled on (a slider let go, a click on the plane)
// Any message also carries what this page still waits for, so one that replaces another before the server read it
// loses nothing: need (the model's hash, until its bytes came), blob (likewise) and decode ({seq, batch, codes},
// until answered).
// The server answers a decode with the arguments decoded_seq and pixels (uint8, batch x height x width).
import { rememberLast, storedModel, storeModel } from "./models.js";
import { map } from "./map.js";
import { MODES } from "./modes.js";
import { keptRuntime, openRuntime } from "./runtime.js";

const live = (window.aelabLive = {
  status: "starting", ready: false, cache: null, frames: 0, serverFrames: 0, inputSeq: 0, drawnSeq: 0, latencies: [],
  firstRenderEpoch: null, firstFrameEpoch: null, firstServerFrameEpoch: null, runtimeEpoch: null, bytesEpoch: null,
  modelReadyEpoch: null,
  lastRelease: null, mode: null, error: null, model: null,
});
const now = () => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------------------------------- Streamlit protocol
function post(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}
const instance = Math.random().toString(36).slice(2, 8);
let counter = 0;
const blobs = new Map(), blobWaiters = new Map(), blobsAsked = new Set(); // (the blobs section below)
const missingBlobs = () => [...blobsAsked].filter((h) => !blobs.has(h));
function setValue(value) { // returns the message's id
  const n = `${instance}-${++counter}`;
  const waiting = {};
  if (asked.hash && !decoders.has(asked.hash)) waiting.need = asked.hash;
  if (missingBlobs().length) waiting.blob = missingBlobs();
  if (serverJob) waiting.decode = { seq: serverJob.seq, batch: serverJob.batch, codes: serverJob.codes };
  post("streamlit:setComponentValue", { value: { ...waiting, ...value, n }, dataType: "json" });
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
// The page's (runtime.js: kept in Streamlit's window, started by the page's preloader), else this frame's own. Asked
// for as this frame loads, before Streamlit's first render: it compiles while the model is found or fetched.
let runtimePromise = null, runtimeNow = null;
function runtime() {
  if (typeof WebAssembly !== "object") return Promise.reject(new Error("this browser has no WebAssembly"));
  if (!runtimePromise) {
    const kept = keptRuntime();
    live.runtimeFrom = kept ? "page" : "frame"; // the page's runtime (kept across page changes), or this frame's
    runtimePromise = Promise.resolve(kept ?? openRuntime()).then((rt) => {
      live.runtimeEpoch = now();
      runtimeNow = rt;
      return rt;
    });
    runtimePromise.catch(() => { runtimePromise = null; }); // tried again with the next model
  }
  return runtimePromise;
}
runtime().catch(() => { /* said by the first render (no WebAssembly) or by the model's session */ });

// ---------------------------------------------------------------------------------------------- the model
const decoders = new Map(); // hash -> Promise of a decoder (the runtime's session for that model)
const fromPage = new Set(); // hashes whose session the page's runtime had (or was making) when this frame asked
let current = null; // {hash, decoder, latentDim}
let asked = { hash: null, at: 0 };

// hash: the model that failed (that model takes the server path); none: this browser cannot decode at all
function unavailable(reason, hash = null) {
  serverJob = null; // the page's own server path takes over
  live.status = "unavailable";
  live.error = reason;
  setValue({ event: "unavailable", reason, ...(hash ? { hash } : {}) });
}

function startDecoder(hash, bytes = undefined) {
  const made = runtime().then((rt) => rt.decoder(hash, bytes));
  decoders.set(hash, made);
  return made;
}

async function ensureModel(args) {
  const hash = args.hash;
  if (!decoders.has(hash)) {
    if (args.model) { // the bytes we asked for: keep them for next time
      live.bytesEpoch ??= now();
      const bytes = args.model.slice().buffer;
      live.cache = live.cache ?? "miss";
      startDecoder(hash, bytes);
      storeModel(hash, bytes);
    } else if (runtimeNow?.has(hash) && !fromPage.has(hash)) { // another page of this tab, or the page's warm-up
      live.cache = live.cache ?? "page";
      fromPage.add(hash);
      startDecoder(hash);
    } else {
      const stored = await storedModel(hash);
      if (decoders.has(hash)) return; // another render started it meanwhile
      if (stored) {
        live.cache = live.cache ?? "hit";
        startDecoder(hash, stored);
      } else {
        if (asked.hash !== hash || performance.now() - asked.at > 4000) { // ask once; again if the answer got lost
          asked = { hash, at: performance.now() };
          live.status = "fetching the model";
          setValue({ event: "need", hash });
          setTimeout(() => { if (latestArgs?.hash === hash && !decoders.has(hash)) ensureModel(latestArgs); }, 4500);
        }
        return;
      }
    }
  }
  try {
    const decoder = await decoders.get(hash);
    if (latestArgs.hash !== hash || current?.hash === hash) return;
    current = { hash, decoder, latentDim: args.latent_dim };
    live.model = hash; // the model now decoding (a test waits for a replayed epoch's own)
    serverJob = null; // a late answer is not drawn over the page's own pictures
    rememberLast(hash, args.latent_dim);
    live.ready = true;
    live.status = "ready";
    live.modelReadyEpoch ??= now();
    // Draw the view with it now, not only what was wanted (pump): this call may come from the re-ask timer above (the
    // bytes asked for had not come, and meanwhile another frame's session for this hash appeared) rather than from a
    // render, whose redraw would follow; and the server may already have drawn, and cleared, the only code wanted.
    // Without this the canvas kept the server's picture (data-live="server") until the next render, which on an idle
    // page never came (tests/e2e/test_latent_map.py's attribute slider, 1 load in 8).
    view?.redraw();
    pump();
  } catch (err) {
    decoders.delete(hash);
    if (fromPage.has(hash) && !args.model) { // the page's session failed (its bytes gone): find them as usual
      ensureModel(latestArgs);
      return;
    }
    unavailable(`the model would not load in the browser (${String(err.message || err).slice(0, 160)})`, hash);
  }
}

// ------------------------------------------------------------------------------------- decoding and drawing
let wanted = null, busy = false;

// codes: Float32Array (batch * latent_dim); draw(pixels: Float32Array) paints them; t: the pointer event's timeStamp
function want(codes, batch, draw, t = null) {
  wanted = { codes, batch, draw, t, seq: ++live.inputSeq };
  if (current) {
    if (!busy) pump();
  } else {
    askServer();
  }
}

function markCanvases(state) { // "server", then "ready" for good once this page has decoded
  for (const canvas of document.querySelectorAll("canvas.decoded")) {
    if (canvas.dataset.live !== "ready") canvas.dataset.live = state;
  }
}

async function pump() {
  if (busy || !current) return;
  busy = true;
  try {
    while (wanted && current) {
      const job = wanted;
      wanted = null; // a newer code that arrives while this one decodes replaces any waiting one
      job.draw(await current.decoder.run(job.codes, job.batch, current.latentDim));
      markCanvases("ready");
      live.lastCodes = Array.from(job.codes); // what is on the canvas now (tests compare it with torch's decode)
      live.frames += 1;
      live.drawnSeq = job.seq;
      if (job.t !== null) live.latencies.push(performance.now() - job.t);
      live.firstFrameEpoch ??= now();
    }
  } catch (err) {
    unavailable(`decoding failed in the browser (${String(err.message || err).slice(0, 160)})`, current?.hash);
  } finally {
    busy = false;
  }
}

// ------------------------------------------------------------------------ the server path, until this page decodes
// One request at a time, for the newest codes wanted; its answer sends the next. A request whose answer does not
// come (its message replaced before the server read it, and no later message carried it) is sent again.
const SERVER_RETRY_MS = 3000;
let serverJob = null; // {seq, batch, codes, draw, at}

function askServer() {
  if (current || !wanted || live.status === "unavailable") return;
  if (serverJob && performance.now() - serverJob.at < SERVER_RETRY_MS) return;
  const { seq, batch, codes, draw } = wanted;
  serverJob = { seq, batch, codes: Array.from(codes), draw, at: performance.now() };
  setValue({ event: "decode" });
  setTimeout(askServer, SERVER_RETRY_MS + 50);
}

function serverAnswered(args) {
  const job = serverJob;
  if (!job || args.decoded_seq !== job.seq || !args.pixels) return;
  serverJob = null;
  if (job.seq > live.drawnSeq && !current) {
    job.draw(Float32Array.from(args.pixels, (grey) => grey / 255)); // paint() turns them back into the same greys
    markCanvases("server");
    live.lastCodes = job.codes;
    live.serverFrames += 1;
    live.drawnSeq = job.seq;
    live.firstServerFrameEpoch ??= now();
    if (wanted?.seq === job.seq) wanted = null;
  }
  askServer(); // codes wanted since it was sent
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

// ------------------------------------------------------------------------------------------------ blobs
// Bytes a view needs beside the model (the map's thumbnails), kept like models: this tab's memory, then IndexedDB,
// else asked for once ({event: "need_blob", blob: hash}; again if the answer got lost) and kept when they come.
function blob(hash) {
  if (blobs.has(hash)) return Promise.resolve(blobs.get(hash));
  return new Promise((resolve) => {
    blobWaiters.set(hash, [...(blobWaiters.get(hash) ?? []), resolve]);
    storedModel(hash).then((stored) => {
      if (stored) return received(hash, new Uint8Array(stored), false);
      const ask = () => {
        if (blobs.has(hash)) return;
        blobsAsked.add(hash);
        setValue({ event: "need_blob", blob: missingBlobs() });
        setTimeout(ask, 4500);
      };
      ask();
    });
  });
}
function received(hash, bytes, keep) {
  if (blobs.has(hash)) return;
  blobs.set(hash, bytes);
  live.blobFrom = { ...live.blobFrom, [hash]: keep ? "server" : "store" }; // (tests: did it travel again?)
  if (keep) storeModel(hash, bytes.slice().buffer);
  for (const resolve of blobWaiters.get(hash) ?? []) resolve(bytes);
  blobWaiters.delete(hash);
}

// ------------------------------------------------------------------------------------------------ rendering
let latestArgs = null, view = null, layout = null;
const api = {
  want, paint, fitHeight, pointerTime, blob,
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
  live.firstRenderEpoch ??= now();
  latestArgs = args;
  (args.blob_hashes ?? []).forEach((hash, i) => {
    if (args[`blob_${i}`]) received(hash, new Uint8Array(args[`blob_${i}`]), true);
  });
  applyTheme(theme);
  live.mode = args.mode;
  let built = false;
  if (layout !== args.layout || !view) { // a new layout (other dimensions, ranges, anchors): build it again
    layout = args.layout;
    const root = document.getElementById("root");
    root.replaceChildren();
    view = (args.mode === "map" ? map : MODES[args.mode])(root, args, api); // map.js: not in lessons
    built = true;
  } else {
    view.update(args);
  }
  fitHeight();
  if (typeof WebAssembly !== "object") {
    if (live.status !== "unavailable") unavailable("this browser has no WebAssembly");
    return;
  }
  serverAnswered(args);
  if (built && !current) view.redraw(); // its first picture from the server, unless this page decodes first
  ensureModel(args).then(() => { if (current) view.redraw(); });
}

window.addEventListener("message", (event) => {
  if (event.data?.type === "streamlit:render") render(event.data.args, event.data.theme);
});
post("streamlit:componentReady", { apiVersion: 1 });
