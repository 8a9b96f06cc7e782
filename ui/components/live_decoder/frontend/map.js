// The Latent page's map as a view of the live decoder: every encoded image drawn with WebGL (regl-scatterplot,
// vendored under scatter/ by scripts/vendor_scatter.sh), pan and zoom, lasso selection sent to the server, and a
// floating panel that decodes whatever point of the map the cursor is over, in this page, with the live decoder's
// runtime and model (live.js: api.want). What a map point (u, v) decodes is the server's spec:
//   code = origin + u * axes[0] + v * axes[1]
// raw axes and PCA are that affine map themselves; a UMAP map's model is the learned inverse chained with the
// decoder, so its code is (u, v) itself (origin 0, axes the identity).
// Messages (api.release): {selection: [dataset indices]} after a lasso or a deselect; {camera: [cx, cy, zoom]} when
// a pan or zoom settles (the page keeps it in its view); {nowebgl: reason} once when this browser has no WebGL.
// spec.keeps_view false (the Train page's replay, which keeps no view): no selection or camera is sent, no lasso button
// (each message would rerun the whole page for nothing).
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
const fmt = (v) => Number(v).toFixed(3);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

let library = null; // the scatterplot module, loaded once per frame
function loadLibrary() {
  library ??= new Promise((resolve, reject) => { // regl first, as a classic script (regl.js hands it on)
    if (globalThis.createREGL) { resolve(); return; }
    const script = el("script", { src: "./scatter/regl.min.js" });
    script.onload = resolve;
    script.onerror = () => reject(new Error("regl.min.js did not load"));
    document.head.append(script);
  }).then(() => import("./scatter/regl-scatterplot.esm.js"));
  return library;
}

export function webglReason() {
  try {
    const gl = document.createElement("canvas").getContext("webgl");
    return gl ? null : "this browser has no WebGL";
  } catch (err) {
    return `WebGL failed (${String(err.message || err).slice(0, 120)})`;
  }
}

// A mouse move with no button down goes to the map's own pointer handlers only (see overPoint in map below); once
// per frame, however often the view is rebuilt.
let hoverKept = false;
function keepHoverFromTheLibrary() {
  if (hoverKept) return;
  hoverKept = true;
  window.addEventListener("mousemove", (e) => { if (e.buttons === 0) e.stopPropagation(); }, true);
}

// The map's view: (root, args, api) -> {update(args), redraw()}, as every live decoder view.
export function map(root, args, api) {
  const spec = args.spec, dim = args.latent_dim, [height, width] = args.image_size;
  const reason = webglReason();
  if (reason) { // the page draws its Plotly map instead, and says so
    // Said again every 3 s while this frame is still shown: a message sent while a fresh session's first runs
    // replace the component can be lost (seen in the browser tests), and the server's answer removes this frame.
    const say = () => { api.release({ nowebgl: reason }); setTimeout(say, 3000); };
    say();
    root.append(el("div", { className: "status", textContent: `${reason}: the page falls back to its Plotly map.` }));
    return { update() {}, redraw() {} };
  }
  const [x0, x1, y0, y1] = spec.extent; // the data's box, drawn on regl-scatterplot's [-1, 1] square
  const toNorm = (u, v) => [-1 + (2 * (u - x0)) / (x1 - x0), -1 + (2 * (v - y0)) / (y1 - y0)];
  const fromNorm = (a, b) => [x0 + ((a + 1) / 2) * (x1 - x0), y0 + ((b + 1) / 2) * (y1 - y0)];

  // ---------------------------------------------------------------------------------------------- the elements
  // the frame's width (a map in a narrow column stays inside it), else a square
  const mapWidth = Math.max(200, Math.floor(root.getBoundingClientRect().width || spec.height));
  const surface = el("canvas", { className: "map" });
  surface.dataset.testid = "latent-map";
  surface.style.width = `${mapWidth}px`;
  surface.style.height = `${spec.height}px`;
  const decoded = el("canvas", { className: "decoded", width: width * args.scale, height: height * args.scale });
  decoded.dataset.testid = "hover-decoded";
  const ctx = decoded.getContext("2d");
  const where = el("div", { className: "caption" });
  // the real image nearest the cursor, beside the decoded one (once the thumbnails are here)
  const nearest = el("canvas", { className: "decoded", width: width * args.scale, height: height * args.scale });
  nearest.dataset.testid = "hover-nearest";
  nearest.hidden = true;
  const nearCtx = nearest.getContext("2d");
  // with linked maps: this model's reconstruction of that nearest image, too
  const recon = el("canvas", { className: "decoded", width: width * args.scale, height: height * args.scale });
  recon.dataset.testid = "hover-recon";
  recon.hidden = true;
  const reconCtx = recon.getContext("2d");
  const panel = el("div", { className: "hover-panel", hidden: true },
    [el("div", { className: "pair" }, [decoded, nearest, recon]), where]);
  // another map's hovered image, reconstructed by this map's model, where it lies on this map
  const echoCanvas = el("canvas", { className: "decoded", width: width * args.scale, height: height * args.scale });
  echoCanvas.dataset.testid = "linked-recon";
  const echoCtx = echoCanvas.getContext("2d"), echoCaption = el("div", { className: "caption" });
  const echo = el("div", { className: "hover-panel echo", hidden: true }, [echoCanvas, echoCaption]);
  // the images as marks once zoomed in far enough (a 2-D canvas over the WebGL points; the cursor passes through)
  const thumbLayer = el("canvas", { className: "thumbs" });
  thumbLayer.dataset.testid = "map-thumbnails";
  thumbLayer.dataset.drawn = "0";
  // Marks over the points (a drawn digit: a star and its name), placed through the camera on every view change
  const marks = (spec.marks ?? []).map(([u, v, name]) => {
    const mark = el("div", { className: "mark", title: name }, [el("span", { textContent: "\u2605" }), name]);
    mark.dataset.testid = "map-mark";
    mark.dataset.u = u; mark.dataset.v = v;
    return mark;
  });
  const stage = el("div", { className: "map-stage" }, [surface, thumbLayer, ...marks, echo, panel]);
  stage.style.height = `${spec.height}px`;
  const keeps = spec.keeps_view !== false;
  const modeButtons = (keeps ? ["panZoom", "lasso"] : ["panZoom"]).map((mode) => {
    const button = el("button", { type: "button", textContent: mode === "lasso" ? "Lasso select" : "Pan / zoom" });
    button.dataset.mode = mode;
    return button;
  });
  const legend = el("div", { className: "legend" }, spec.legend.map(([name, colour]) =>
    el("span", {}, [el("i", { style: `background:${colour}` }), name])));
  const status = el("div", { className: "status", textContent: "loading the map..." });
  root.append(el("div", { className: "map-bar" }, [...modeButtons, legend]), stage, status);

  // ------------------------------------------------------------------------------------------------- decoding
  const draw = (pixels) => api.paint(ctx, pixels, 0, height, width, args.scale);
  const codeAt = ([u, v]) => {
    const z = new Float32Array(dim);
    for (let k = 0; k < dim; k++) z[k] = spec.origin[k] + u * spec.axes[0][k] + v * spec.axes[1][k];
    return z;
  };
  let plot = null, view = null, hovered = null, selected = spec.selected ?? [], lassoing = false, dragging = false;
  const toData = (e) => { // the cursor -> map coordinates, through the camera (scale s, translation t; no rotation)
    const box = surface.getBoundingClientRect();
    const ndcX = -1 + (2 * (e.clientX - box.left)) / box.width, ndcY = 1 - (2 * (e.clientY - box.top)) / box.height;
    const s = view[0], aspect = box.width / box.height; // projection: x / aspect; the data's aspect ratio is 1
    return fromNorm((ndcX * aspect - view[12]) / s, (ndcY - view[13]) / s);
  };
  const toScreen = (u, v) => { // map coordinates -> pixels on the surface (toData's inverse)
    const box = surface.getBoundingClientRect(), [a, b] = toNorm(u, v), s = view[0], aspect = box.width / box.height;
    return [((((a * s + view[12]) / aspect) + 1) / 2) * box.width, ((1 - (b * s + view[13])) / 2) * box.height];
  };
  // ------------------------------------------------------------------------------------------ thumbnails
  // The map's images (uint8, n x height x width, the map's order) come once per browser (api.blob: IndexedDB, else
  // the server); each becomes a small canvas when first drawn, framed in its point's colour.
  let thumbs = null, recons = null, thumbFrame = 0;
  const tiles = new Map(), reconTiles = new Map();
  const tileOf = (pixels, made, i) => { // image i of pixels (uint8, n x h x w) as a small canvas, kept in made
    let canvas = made.get(i);
    if (!canvas) {
      const { height: th, width: tw } = spec.thumbs, size = th * tw;
      canvas = document.createElement("canvas");
      canvas.width = tw; canvas.height = th;
      const image = canvas.getContext("2d").createImageData(tw, th);
      for (let p = 0; p < size; p++) { // grey as the data is, as the decoded picture beside it
        const g = pixels[i * size + p];
        image.data[4 * p] = g; image.data[4 * p + 1] = g; image.data[4 * p + 2] = g; image.data[4 * p + 3] = 255;
      }
      canvas.getContext("2d").putImageData(image, 0, 0);
      if (made.size > 6000) made.clear(); // (a bound on memory after much panning)
      made.set(i, canvas);
    }
    return canvas;
  };
  const tile = (i) => tileOf(thumbs, tiles, i);
  const MAX_TILES = 3000; // drawn in one frame: beyond it the view is too far out for images to read anyway
  const drawThumbs = () => {
    thumbFrame = 0;
    const box = surface.getBoundingClientRect(), ratio = window.devicePixelRatio || 1;
    if (thumbLayer.width !== Math.round(box.width * ratio)) {
      thumbLayer.width = Math.round(box.width * ratio); thumbLayer.height = Math.round(box.height * ratio);
      thumbLayer.style.width = `${box.width}px`; thumbLayer.style.height = `${box.height}px`;
    }
    const g = thumbLayer.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, box.width, box.height);
    const spacingPx = view ? (view[0] * spec.spacing * box.height) / (y1 - y0) : 0;
    let drawn = 0;
    if (thumbs && spacingPx >= spec.thumb_min_px) {
      const size = Math.min(72, spacingPx * 0.95), half = size / 2;
      g.imageSmoothingEnabled = false;
      for (let i = 0; i < spec.x.length && drawn < MAX_TILES; i++) {
        const [px, py] = toScreen(spec.x[i], spec.y[i]);
        if (px < -half || py < -half || px > box.width + half || py > box.height + half) continue;
        g.drawImage(tile(i), px - half, py - half, size, size);
        g.strokeStyle = spec.colours[spec.c[i]];
        g.lineWidth = 2;
        g.strokeRect(px - half, py - half, size, size);
        drawn++;
      }
    }
    thumbLayer.dataset.drawn = String(drawn);
    thumbLayer.dataset.spacingPx = spacingPx.toFixed(1);
  };
  const redrawThumbs = () => { if (!thumbFrame) thumbFrame = requestAnimationFrame(drawThumbs); };
  const nearestRow = ([u, v]) => { // the point nearest (u, v) in map units, -1 on an empty map
    let best = -1, bestD = Infinity;
    for (let i = 0; i < spec.x.length; i++) {
      const du = spec.x[i] - u, dv = spec.y[i] - v, d = du * du + dv * dv;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  };
  const showNearest = (best) => { // the real image whose point is nearest the cursor
    if (!thumbs || best < 0) return;
    nearest.hidden = false;
    nearCtx.imageSmoothingEnabled = false;
    nearCtx.drawImage(tile(best), 0, 0, nearest.width, nearest.height);
    nearest.dataset.index = String(spec.index[best]);
    where.textContent += ` \u00b7 nearest image #${spec.index[best]}`;
    if (recons) { // and this model's reconstruction of it
      recon.hidden = false;
      reconCtx.imageSmoothingEnabled = false;
      reconCtx.drawImage(tileOf(recons, reconTiles, best), 0, 0, recon.width, recon.height);
    }
  };
  if (spec.recons) api.blob(spec.recons.hash).then((bytes) => { recons = bytes; });

  // ----------------------------------------------------------------------------------------- linked maps
  // The page's maps of other models (spec.link) tell each other which image the cursor is over; each shows its own
  // model's reconstruction of that image where the image lies on its own map.
  const me = Math.random().toString(36).slice(2);
  const channel = spec.link && typeof BroadcastChannel === "function"
    ? new BroadcastChannel(`aelab-map-${spec.link}`) : null;
  const rowOf = new Map(spec.index.map((d, i) => [d, i]));
  const tell = (index) => channel?.postMessage({ from: me, index });
  const showEcho = (index) => {
    const row = index === null ? undefined : rowOf.get(index);
    if (row === undefined || !recons || !view) { echo.hidden = true; delete echo.dataset.index; return; }
    echoCtx.imageSmoothingEnabled = false;
    echoCtx.drawImage(tileOf(recons, reconTiles, row), 0, 0, echoCanvas.width, echoCanvas.height);
    echoCaption.textContent = `image #${index}: this model's reconstruction`;
    const [px, py] = toScreen(spec.x[row], spec.y[row]), box = stage.getBoundingClientRect();
    echo.hidden = false;
    echo.style.left = `${Math.min(Math.max(0, px + 12), box.width - echo.offsetWidth)}px`;
    echo.style.top = `${Math.min(Math.max(0, py - echo.offsetHeight / 2), box.height - echo.offsetHeight)}px`;
    echo.dataset.index = String(index);
  };
  if (channel) {
    channel.onmessage = ({ data }) => {
      if (!stage.isConnected) { channel.close(); return; } // this view was rebuilt: its successor listens
      if (data?.from !== me) showEcho(data?.index ?? null);
    };
  }
  if (spec.thumbs) {
    api.blob(spec.thumbs.hash).then((bytes) => {
      if (bytes.length !== spec.thumbs.n * spec.thumbs.height * spec.thumbs.width) return; // not this map's images
      thumbs = bytes;
      redrawThumbs();
    });
  }

  const placeMarks = () => {
    for (const mark of marks) {
      const [px, py] = toScreen(+mark.dataset.u, +mark.dataset.v);
      mark.style.left = `${px}px`;
      mark.style.top = `${py}px`;
    }
  };
  surface.addEventListener("pointerdown", () => { dragging = true; });
  window.addEventListener("pointerup", () => { dragging = false; });
  // The point under the cursor, found here rather than by regl-scatterplot: its hover outlines that point by
  // drawing every point again on each move, ~100 ms a move at 70,000 points in software WebGL, which held the
  // decoded picture back (bench/latent_map.py). The library sees only moves with a button down (pan, lasso).
  let over = null;
  const overPoint = (row, e) => { // data-over: that point's dataset index (tests tell empty map from a point)
    let index = null;
    if (row >= 0) {
      const [px, py] = toScreen(spec.x[row], spec.y[row]), box = surface.getBoundingClientRect();
      const reach = spec.point_size * Math.max(1, view[0]) ** 0.5 + 4; // its drawn radius and a little more
      if (Math.hypot(px - (e.clientX - box.left), py - (e.clientY - box.top)) <= reach) index = spec.index[row];
    }
    if (index === over) return;
    over = index;
    if (index === null) delete surface.dataset.over; else surface.dataset.over = String(index);
    tell(index);
  };
  surface.addEventListener("pointermove", (e) => {
    if (!view || lassoing || (dragging && plot.get("mouseMode") === "lasso")) return;
    hovered = toData(e);
    const box = stage.getBoundingClientRect(), px = e.clientX - box.left, py = e.clientY - box.top;
    panel.hidden = false;
    where.textContent = `${spec.xlabel} = ${fmt(hovered[0])}, ${spec.ylabel} = ${fmt(hovered[1])}`;
    api.want(codeAt(hovered), 1, draw, e.timeStamp);
    const row = nearestRow(hovered);
    overPoint(row, e);
    showNearest(row); // (before placing the panel: its pictures set its width)
    const w = panel.offsetWidth; // right of the cursor, else left of it; never past the map's edges
    panel.style.left = `${Math.max(0, Math.min(px + 16 + w > box.width ? px - 16 - w : px + 16, box.width - w))}px`;
    panel.style.top = `${Math.max(0, Math.min(py - panel.offsetHeight / 2, box.height - panel.offsetHeight))}px`;
  });
  stage.addEventListener("pointerleave", (e) => { panel.hidden = true; overPoint(-1, e); });
  // A lasso that closes where it began ends in a click that regl-scatterplot reads as a click on the nearest point,
  // replacing the lasso's selection with that one point: the click that ends a lasso is not passed on.
  let lassoed = false;
  stage.addEventListener("click", (e) => { if (lassoed) e.stopPropagation(); lassoed = false; }, true);

  // ---------------------------------------------------------------------------------------------- the scatter
  // sent: the cameras this map told the page (their echo in a later spec is not a move to make)
  const sent = new Set();
  const lookAt = ([cx, cy, zoom]) => plot.zoomToLocation(toNorm(cx, cy), 1 / zoom); // (the camera's distance)
  let settle = null, moved = false; // moved: the person panned or zoomed (the map's own first view is not news)
  for (const type of ["pointerdown", "wheel"]) surface.addEventListener(type, () => { moved = true; }, true);
  const sendCamera = () => { // once a pan or zoom has settled: the page keeps it in its view
    if (!moved || !keeps) return;
    clearTimeout(settle);
    settle = setTimeout(() => {
      const [cx, cy] = fromNorm(-view[12] / view[0], -view[13] / view[0]);
      const camera = [+cx.toPrecision(6), +cy.toPrecision(6), +view[0].toPrecision(6)];
      if (!same(camera, spec.camera)) { sent.add(JSON.stringify(camera)); api.release({ camera }); }
    }, 400);
  };
  const setMode = (mode) => {
    plot?.set({ mouseMode: mode });
    for (const b of modeButtons) b.classList.toggle("active", b.dataset.mode === mode);
  };
  modeButtons.forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
  const select = (indices) => { // dataset indices -> the points drawn, without telling the server back
    const position = new Map(spec.index.map((d, i) => [d, i]));
    const points = indices.map((d) => position.get(d)).filter((i) => i !== undefined);
    if (points.length) plot.select(points, { preventEvent: true });
    else plot.deselect({ preventEvent: true });
    surface.dataset.selected = String(points.length); // how many points the map shows selected (tests read it)
  };
  keepHoverFromTheLibrary();
  loadLibrary().then(({ default: createScatterplot }) => {
    const ratio = window.devicePixelRatio || 1;
    surface.width = mapWidth * ratio;
    surface.height = spec.height * ratio;
    plot = createScatterplot({ canvas: surface, width: mapWidth, height: spec.height, pointSize: spec.point_size,
      pointColor: spec.colours, colorBy: "valueA", opacity: 0.8, pointOutlineWidth: 2, lassoColor: [0.2, 0.2, 0.2, 1],
      backgroundColor: [1, 1, 1, 0], lassoInitiator: false, cameraDistance: 1 / (spec.camera?.[2] ?? 1),
      opacityInactiveScale: 0.25 }); // (a selection dims the rest)
    const points = spec.x.map((u, i) => [...toNorm(u, spec.y[i]), spec.c[i], 0]);
    plot.subscribe("view", ({ view: v }) => { view = v; placeMarks(); redrawThumbs(); if (!lassoing) sendCamera(); });
    plot.subscribe("lassoStart", () => { lassoing = true; panel.hidden = true; surface.dataset.lasso = "0"; lassoed = true; });
    plot.subscribe("lassoEnd", () => { lassoing = false; });
    // the lasso's vertices so far (data-lasso), so a scripted drag can wait for each of its moves to be taken
    plot.subscribe("lassoExtend", ({ coordinates }) => { surface.dataset.lasso = String(coordinates.length); });
    plot.subscribe("select", ({ points: chosen }) => {
      selected = chosen.map((i) => spec.index[i]);
      surface.dataset.selected = String(chosen.length);
      if (keeps) api.release({ selection: selected });
    });
    plot.subscribe("deselect", () => {
      if (selected.length && keeps) api.release({ selection: [] });
      selected = [];
      surface.dataset.selected = "0";
    });
    return plot.draw(points).then(() => {
      if (spec.camera) lookAt(spec.camera);
      view = plot.get("cameraView");
      placeMarks();
      redrawThumbs();
      select(selected);
      setMode("panZoom");
      surface.dataset.points = String(points.length);
      status.textContent = spec.hint;
    });
  }).catch((err) => {
    api.release({ nowebgl: `the WebGL map failed (${String(err.message || err).slice(0, 160)})` });
  });

  return {
    update(next) {
      if (plot && !same(next.spec.selected, selected)) { selected = next.spec.selected ?? []; select(selected); }
      // a camera the page chose (Find image), not the echo of one this map sent
      const camera = next.spec.camera;
      if (plot && camera && !same(camera, spec.camera) && !sent.has(JSON.stringify(camera))) lookAt(camera);
      spec.camera = camera;
    },
    redraw() { if (hovered) api.want(codeAt(hovered), 1, draw); },
  };
}
