// The browser's store of decoders (ONNX bytes), keyed by the model's content hash, in IndexedDB (one database per
// origin: every live decoder of the app shares it, from whichever window). The server sends a model once per
// browser; the KEEP most recently stored stay. Private windows may refuse IndexedDB: then nothing is kept, and the
// server sends the model again on the next visit. The hash used last is remembered (localStorage), so that a page
// can warm its runtime up with that model before its live decoder asks for it (runtime.js keepRuntime).
const DB = "aelab-live", STORE = "models", KEEP = 24, LAST = "aelab-live-last-model";

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

// A live decoder says which model it decodes with (latentDim: its code's length, for a warm-up decode).
export function rememberLast(hash, latentDim) {
  try { localStorage.setItem(LAST, JSON.stringify({ hash, latentDim })); } catch { /* refused: no warm-up */ }
}

// The bytes (ArrayBuffer) of hash, or undefined.
export async function storedModel(hash) {
  try {
    return (await inStore("readonly", (store) => store.get(hash)))?.bytes;
  } catch {
    return undefined;
  }
}

// {hash, latentDim} of the model this browser's live decoders used last, or null (read at once: no IndexedDB).
export function lastModel() {
  let last = null;
  try { last = JSON.parse(localStorage.getItem(LAST)); } catch { /* refused, or not ours */ }
  return typeof last?.hash === "string" && Number.isInteger(last?.latentDim) ? last : null;
}

export async function storeModel(hash, bytes) {
  try {
    await inStore("readwrite", (store) => store.put({ bytes, saved: Date.now() }, hash));
    const keys = await inStore("readonly", (store) => store.getAllKeys());
    if (keys.length > KEEP) { // forget the oldest beyond KEEP
      const all = await Promise.all(keys.map(async (k) => [k, (await inStore("readonly", (s) => s.get(k))).saved]));
      all.sort((a, b) => a[1] - b[1]);
      await inStore("readwrite", (store) => all.slice(0, all.length - KEEP).forEach(([k]) => store.delete(k)));
    }
  } catch { /* refused: the model stays in this tab's memory only */ }
}
