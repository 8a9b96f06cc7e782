// The live decoder's runtime, in one place for every live decoder (and for anything else that runs aelab's ONNX
// decoders in a page, such as a lesson saved as one HTML file): onnxruntime-web's plain WebAssembly build, vendored
// under vendor/ (MIT, pinned; scripts/vendor_frontend.sh re-vendors it), compiled and started once per tab.
//
// Why: fetching and compiling the 14 MB .wasm, then V8 compiling the functions onnxruntime calls first (it compiles
// a module's functions lazily, on their first call), were most of a live page's first frame (bench/live_decoder.py).
// Streamlit serves a component's files with "Cache-Control: public" and no validator or max-age, so the browser
// fetched them again on every page load, gzipped anew by the server each time (~0.6 s of its CPU), and compiled them
// again. So:
// - the .wasm is stored gzipped (3.7 MB; Streamlit sends a .gz as it is), unpacked by DecompressionStream while
//   WebAssembly.compileStreaming compiles it, as the bytes arrive;
// - the runtime lives in the Streamlit page's window (the same-origin parent of the component frames), which lasts
//   across Streamlit's reruns and page changes: the compiled module, onnxruntime started on it, and a session per
//   model (the SESSIONS most recently used). A live decoder mounted later (another page, a second one on the page)
//   decodes at once. Its work runs in that window's realm, so a frame removed meanwhile cancels nothing. (None of
//   it outlives a page load: Chromium no longer stores a WebAssembly.Module in IndexedDB, and the HTTP cache, where
//   V8 keeps compiled code, is off for component files.)
// - a page with a live decoder starts it before its decoder exists (ui.components.live_decoder.preload_runtime runs
//   keepRuntime in Streamlit's window), and warms it up, while the page computes, by decoding once with the model
//   this browser decoded with last, or with warmup.onnx, a tiny decoder (scripts/warmup_decoder.py): onnxruntime's
//   first session of a page costs ~0.5-1 s of start-up code compiled on first call, whatever the model, the next
//   ~20-50 ms (measured in Chromium here).
//
// Use: `const runtime = await openRuntime(); const decoder = await runtime.decoder(hash, onnxBytes);`
// then `const pixels = await decoder.run(codes, batch, latentDim)` (codes: Float32Array of batch * latentDim;
// pixels: Float32Array of batch * height * width). In a component frame, keptRuntime() gives the page's runtime.
// openRuntime's options, all optional, each replacing a file this module would otherwise fetch beside itself:
//   host       the window that keeps the compiled module (default: the same-origin parent, else this window)
//   gzipped    a function giving a Response (or a Promise of one) of vendor/ort-wasm-simd-threaded.wasm.gz
//   ort        a Promise of the imported vendor/ort.wasm.min.mjs
//   emscripten a Promise of the imported vendor/ort-wasm-simd-threaded.mjs
// A page saved as one file (no server) passes all three files, e.g. as blob: URLs imported and
// `() => new Response(new Blob([gzBytes]))`; this module has no static import, so it can be loaded from a blob: URL
// too. This module is also what onnxruntime-web imports as its Emscripten factory (the default export below): it
// hands Emscripten the compiled module through Emscripten's documented Module.instantiateWasm hook.

// A file beside this module (as written when this module came from a blob: URL, which has no "beside")
const beside = (path) => { try { return new URL(path, import.meta.url).href; } catch { return path; } };
export const WASM_GZ = beside("./vendor/ort-wasm-simd-threaded.wasm.gz");
const WARMUP = { url: beside("./warmup.onnx"), latentDim: 2 }; // scripts/warmup_decoder.py
const KEPT = "__aelabLiveRuntime"; // on the host window: {url, module, runtime, keep, times}
const now = () => performance.timeOrigin + performance.now();
const SESSIONS = 6;

// The window that keeps the runtime: Streamlit's page when this runs in a component frame, else this window.
export function sharedHost() {
  try {
    if (window.parent !== window && window.parent.document) return window.parent; // throws if cross-origin
  } catch { /* another origin embeds this page: keep it here */ }
  return window;
}

function kept(host) {
  if (host[KEPT]?.url !== WASM_GZ) {
    // times: epochs (ms) when the compile started and ended, onnxruntime was ready, the warm-up decoded (benchmarks)
    host[KEPT] = { url: WASM_GZ, module: null, runtime: null, keep: null, times: {} };
  }
  return host[KEPT];
}

// A Promise of the compiled WebAssembly.Module, compiled at most once per host window.
export function compiledRuntime({ host = sharedHost(), gzipped } = {}) {
  const keep = kept(host);
  if (!keep.module) {
    keep.times.compiling = now();
    const module = compileGzipped(host, gzipped ?? (() => host.fetch(WASM_GZ, { credentials: "same-origin" })));
    module.then(() => { keep.times.compiled = now(); }, () => {});
    keep.module = module;
    module.catch(() => { if (keep.module === module) keep.module = null; }); // a failure is tried again later
  }
  return keep.module;
}

async function compileGzipped(host, gzipped) {
  if (typeof host.DecompressionStream !== "function") {
    throw new Error("this browser cannot unpack the runtime (no DecompressionStream)");
  }
  const response = await gzipped();
  if (!response.ok) throw new Error(`the runtime could not be fetched (HTTP ${response.status})`);
  const wasm = response.body.pipeThrough(new host.DecompressionStream("gzip"));
  const headers = { "Content-Type": "application/wasm" };
  return host.WebAssembly.compileStreaming(new host.Response(wasm, { headers }));
}

let compiled = null; // the module the factory below instantiates
let emscriptenModule = null; // a Promise of the imported vendor/ort-wasm-simd-threaded.mjs, when given
let opened = null; // this realm's runtime

// The runtime in this window's realm (one per realm; see keptRuntime for the page's).
export function openRuntime({ ort, emscripten, ...options } = {}) {
  if (!opened) {
    emscriptenModule = emscripten ?? null;
    opened = Promise.all([ort ?? import("./vendor/ort.wasm.min.mjs"), compiledRuntime(options)])
      .then(([ortModule, module]) => {
        compiled = module;
        ortModule.env.wasm.numThreads = 1; // Streamlit sends no cross-origin isolation headers: no threads anyway
        ortModule.env.wasm.proxy = false;
        ortModule.env.wasm.wasmPaths = { mjs: import.meta.url }; // onnxruntime-web imports its factory from here
        return decoders(ortModule);
      });
    opened.catch(() => { opened = null; }); // tried again on the next call
  }
  return opened;
}

// Decoders by model hash on one onnxruntime. Arrays may come from another window (a component frame): they are
// copied into this realm's types, which onnxruntime checks with instanceof.
//
// One call into onnxruntime at a time (create, run, release), whoever asks: its WebAssembly backend is not re-entrant.
// A session.run keeps its tensors' pointers on Emscripten's stack across its awaits, and a call that starts meanwhile
// and ends first restores that stack under it, so an overlapping run can read back a null output ("Cannot read
// properties of null (reading '3')") or wrong pixels. The page's runtime is shared, so overlaps happen: Latent leaves
// its model as this browser's last one, and on Interpolate the warm-up's decode and the first decodes of the scrub and
// the triangle (both finding that session already made) all start at once; the failed one switched the model to the
// server path for the session (the presenter test's 306 px picture). Each frame's own pump() is one at a time, but
// not the frames and the warm-up together: hence this queue, one per runtime (the frames' and the warm-up's calls all
// reach the page's through this object). The bytes (a Promise, e.g. from IndexedDB) are awaited outside it.
function decoders(ort) {
  const sessions = new Map(); // hash -> Promise of an InferenceSession, the most recently used last
  let queue = Promise.resolve(); // the last call into onnxruntime; the next one starts when it has settled
  const serial = (call) => {
    const done = queue.then(call);
    queue = done.catch(() => {}); // a failed call does not stop the ones after it
    return done;
  };
  const run = async (session, codes, batch, latentDim) => {
    const z = new ort.Tensor("float32", Float32Array.from(codes), [batch, latentDim]);
    return (await serial(() => session.run({ z }))).x_hat.data;
  };
  return {
    has: (hash) => sessions.has(hash),
    // bytes (ArrayBuffer or Uint8Array, or a Promise of one): the model's ONNX, not needed when its session is kept
    decoder(hash, bytes) {
      let session = sessions.get(hash);
      if (!session) {
        if (!bytes) return Promise.reject(new Error("the model's bytes are needed"));
        session = Promise.resolve(bytes).then((b) => serial(() => ort.InferenceSession.create(new Uint8Array(b),
          { executionProviders: ["wasm"], graphOptimizationLevel: "all" })));
        session.catch(() => { if (sessions.get(hash) === session) sessions.delete(hash); });
      }
      sessions.delete(hash);
      sessions.set(hash, session);
      for (const [old, gone] of [...sessions].slice(0, Math.max(0, sessions.size - SESSIONS))) {
        sessions.delete(old);
        gone.then((s) => serial(() => s.release())).catch(() => {});
      }
      return session.then((s) => ({ run: (codes, batch, latentDim) => run(s, codes, batch, latentDim) }));
    },
  };
}

// In Streamlit's window (the preloader): start the page's runtime, kept on this window, and warm it up by decoding
// once with the model this browser used last, else with warmup.onnx (V8 compiles what onnxruntime calls then, before
// a live decoder needs it). Returns a Promise of the runtime.
export function keepRuntime({ warmUp = true } = {}) {
  const keep = kept(window);
  keep.keep = keepRuntime; // a component frame calls it to start the page's runtime in this window's realm
  if (!keep.runtime) {
    keep.times.kept = now();
    const runtime = openRuntime({ host: window });
    keep.runtime = runtime;
    runtime.then(() => { keep.times.opened = now(); }, () => { if (keep.runtime === runtime) keep.runtime = null; });
    if (warmUp) {
      const model = import("./models.js").then(warmupModel); // read while the runtime compiles
      Promise.all([runtime, model]).then(warm).then(() => { keep.times.warmed = now(); })
        .catch(() => { /* said by the live decoder that needs it */ });
    }
  }
  return keep.runtime;
}

// {hash, latentDim, bytes: a Promise}: the model used last (its hash known at once, its bytes from IndexedDB), else
// warmup.onnx (its bytes fetched).
function warmupModel({ lastModel, storedModel }) {
  const last = lastModel();
  if (last) return { ...last, bytes: storedModel(last.hash).then((b) => b ?? Promise.reject(new Error("gone"))) };
  return { ...WARMUP, hash: "warm-up", bytes: fetch(WARMUP.url).then((r) => r.arrayBuffer()) };
}

// The model's session registered at once (a live decoder mounted meanwhile shares it: runtime.has(hash)), then one
// decode, which compiles the code a decode runs.
async function warm([runtime, model]) {
  const decoder = await runtime.decoder(model.hash, model.bytes);
  await decoder.run(new Float32Array(model.latentDim), 1, model.latentDim);
}

// In a component frame: the page's runtime if its window has started one (or can: its preloader loaded this module
// there), else null.
export function keptRuntime(host = sharedHost()) {
  const keep = host === window ? null : host[KEPT];
  if (keep?.url !== WASM_GZ) return null;
  return keep.runtime ?? (keep.keep ? keep.keep({ warmUp: false }) : null);
}

// onnxruntime-web's Emscripten factory (vendor/ort-wasm-simd-threaded.mjs) on the compiled module. Imported here,
// not at the top, so that a component frame using the page's runtime loads none of onnxruntime's files.
export default async function factory(moduleArg = {}) {
  if (!compiled) throw new Error("the runtime is not compiled yet (call openRuntime first)");
  const { default: ortWasmThreaded } = await (emscriptenModule ?? import("./vendor/ort-wasm-simd-threaded.mjs"));
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const ready = ortWasmThreaded({
    ...moduleArg,
    instantiateWasm(imports, done) { // Emscripten waits for done(instance, module); {} tells it to wait
      WebAssembly.instantiate(compiled, imports).then((instance) => done(instance, compiled), fail);
      return {};
    },
  });
  return Promise.race([ready, failed]); // a failed instantiation rejects instead of leaving Emscripten waiting
}
