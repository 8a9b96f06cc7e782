// The live decoder's views, one per page: each builds its controls, turns them into codes, and asks live.js to
// decode them. Every view: MODES[name](root, args, api) -> {update(args), redraw()}.
//   sliders   (Traverse)    one range input per latent dimension; the code is the sliders' values
//   plane     (Latent)      hover a 2-D plane: code = origin + u * axes[0] + v * axes[1]
//   scrub     (Interpolate) t in [0, 1]: code = (1 - t) A + t B (Latent's attribute vector: t in [low, high])
//   triangle  (Interpolate) a point dragged in the triangle ABC: code = wA A + wB B + wC C
//   grid      (Generate)    temperature T for fixed noise vectors: codes = T * eps
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

function decodedCanvas(args, extraClass = "") {
  const [height, width] = args.image_size;
  const scale = args.scale;
  return el("canvas", { className: `decoded ${extraClass}`, width: width * scale, height: height * scale });
}

// One decoded image into a canvas of its own.
function single(canvas, args, api) {
  const [height, width] = args.image_size;
  const ctx = canvas.getContext("2d");
  return (pixels) => api.paint(ctx, pixels, 0, height, width, args.scale);
}

const fmt = (v, digits = 3) => Number(v).toFixed(digits);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ------------------------------------------------------------------------------------------------ sliders
function sliders(root, args, api) {
  // Float64: the server's own numbers, so a dimension nobody touched goes back exactly as it came
  let spec = args.spec, code = Float64Array.from(spec.code), serverCode = spec.code;
  const sent = new Set(); // ids of the releases this view sent: the server's code that came from one is not news
  const canvas = decodedCanvas(args);
  const draw = single(canvas, args, api);
  const inputs = new Map();
  const grid = el("div", { className: "sliders" });
  spec.dims.forEach((dim, rank) => {
    const input = el("input", { type: "range", min: spec.lows[dim], max: spec.highs[dim], step: spec.steps[dim],
      value: code[dim] });
    input.dataset.dim = dim;
    input.setAttribute("aria-label", `z${dim + 1}`);  // the page names dimensions 1-based (z1..zd)
    const value = el("span", { className: "value", textContent: fmt(code[dim], 2) });
    input.addEventListener("input", (e) => {
      code[dim] = parseFloat(input.value);
      value.textContent = fmt(code[dim], 2);
      api.want(Float32Array.from(code), 1, draw, api.pointerTime(e));
    });
    input.addEventListener("change", () => {
      sent.add(api.release({ code: Array.from(code), dim }));
      if (sent.size > 64) sent.delete(sent.values().next().value);
    });
    inputs.set(dim, { input, value });
    grid.append(el("div", { className: `slider rank-${rank}` }, [el("label", {}, [
      el("span", { textContent: spec.labels[rank] }), value]), input]));
  });
  root.append(el("div", { className: "row" }, [el("div", { className: "controls" }, [grid]),
    el("div", { className: "picture" }, [canvas, el("div", { className: "caption", textContent: spec.caption })])]));
  const view = {
    update(next) {
      spec = next.spec;
      // The server's code made from a release of this view (spec.source: that release's id) changes nothing here:
      // keys pressed quickly release several codes whose echoes arrive later, and another slider may be moving
      // already. Any other code is the server's doing (Reset, a new start image): follow it.
      if (sent.has(spec.source)) serverCode = spec.code;
      if (!same(spec.code, serverCode)) {
        serverCode = spec.code;
        code = Float64Array.from(spec.code);
        for (const [dim, { input, value }] of inputs) {
          input.value = code[dim];
          value.textContent = fmt(code[dim], 2);
        }
        view.redraw();
      }
    },
    redraw() { api.want(Float32Array.from(code), 1, draw); },
    get code() { return Array.from(code); },
  };
  return view;
}

// ------------------------------------------------------------------------------------------------ plane
function plane(root, args, api) {
  const spec = args.spec, size = spec.size, [x0, x1, y0, y1] = spec.extent, dim = args.latent_dim;
  const canvas = decodedCanvas(args);
  const draw = single(canvas, args, api);
  const board = el("canvas", { className: "plane", width: size, height: size });
  const points = el("canvas", { width: size, height: size }); // the dots, drawn once
  const ctx = board.getContext("2d"), dots = points.getContext("2d");
  const toPx = (u, v) => [((u - x0) / (x1 - x0)) * size, (1 - (v - y0) / (y1 - y0)) * size];
  const fromPx = (px, py) => [x0 + (px / size) * (x1 - x0), y0 + (1 - py / size) * (y1 - y0)];
  dots.fillStyle = "rgba(128,128,128,0.06)";
  dots.fillRect(0, 0, size, size);
  spec.x.forEach((u, i) => {
    const [px, py] = toPx(u, spec.y[i]);
    dots.fillStyle = spec.colours[spec.c[i]] ?? "#999";
    dots.globalAlpha = 0.75;
    dots.fillRect(px - 1.5, py - 1.5, 3, 3);
  });
  const where = el("div", { className: "status", textContent: spec.hint });
  let hovered = spec.start, pinned = spec.pinned;
  const codeAt = ([u, v]) => {
    const z = new Float32Array(dim);
    for (let k = 0; k < dim; k++) z[k] = spec.origin[k] + u * spec.axes[0][k] + v * spec.axes[1][k];
    return z;
  };
  const paintBoard = () => {
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(points, 0, 0);
    for (const [mark, colour] of [[pinned, "#CC6677"], [hovered, "#222"]]) {
      if (!mark) continue;
      const [px, py] = toPx(...mark);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(px - 8, py); ctx.lineTo(px + 8, py); ctx.moveTo(px, py - 8); ctx.lineTo(px, py + 8);
      ctx.stroke();
    }
  };
  const position = (e) => {
    const box = board.getBoundingClientRect();
    return fromPx(((e.clientX - box.left) / box.width) * size, ((e.clientY - box.top) / box.height) * size);
  };
  board.addEventListener("pointermove", (e) => {
    hovered = position(e);
    where.textContent = `${spec.xlabel} = ${fmt(hovered[0])}, ${spec.ylabel} = ${fmt(hovered[1])}`;
    paintBoard();
    api.want(codeAt(hovered), 1, draw, e.timeStamp);
  });
  board.addEventListener("pointerup", (e) => {
    pinned = position(e);
    paintBoard();
    api.release({ point: pinned.map((v) => +v.toPrecision(9)) });
  });
  paintBoard();
  root.append(el("div", { className: "row" }, [
    el("div", { className: "picture" }, [board, where]),
    el("div", { className: "picture" }, [canvas, el("div", { className: "caption", textContent: spec.caption })])]));
  return {
    update(next) {
      if (next.spec.pinned && !same(next.spec.pinned, pinned)) { pinned = next.spec.pinned; paintBoard(); }
    },
    redraw() { if (hovered) api.want(codeAt(hovered), 1, draw); },
    toPx, fromPx,
  };
}

// ---------------------------------------------------------------------------------------------- scrub and mix
const mix = (anchors, weights, dim) => {
  const z = new Float32Array(dim);
  anchors.forEach((a, j) => { for (let k = 0; k < dim; k++) z[k] += weights[j] * a[k]; });
  return z;
};

function scrub(root, args, api) {
  let spec = args.spec, t = spec.t;
  const canvas = decodedCanvas(args);
  const draw = single(canvas, args, api);
  // t from 0 to 1 by default (Interpolate); a spec's low and high widen it (the Latent page's attribute vector)
  const input = el("input", { type: "range", min: spec.low ?? 0, max: spec.high ?? 1, step: 0.01, value: t });
  input.setAttribute("aria-label", "t");
  const label = el("span", { className: "value", textContent: fmt(t, 2) });
  const codes = () => mix(spec.anchors, [1 - t, t], args.latent_dim);
  input.addEventListener("input", (e) => {
    t = parseFloat(input.value);
    label.textContent = fmt(t, 2);
    api.want(codes(), 1, draw, api.pointerTime(e));
  });
  input.addEventListener("change", () => api.release({ t }));
  root.append(el("div", { className: "row" }, [
    el("div", { className: "controls slider" }, [el("label", {}, [el("span", { textContent: spec.label }), label]),
      input, el("div", { className: "caption", textContent: spec.caption })]),
    el("div", { className: "picture" }, [canvas])]));
  return {
    update(next) { if (next.spec.t !== spec.t) { t = next.spec.t; input.value = t; label.textContent = fmt(t, 2); }
      spec = next.spec; },
    redraw() { api.want(codes(), 1, draw); },
  };
}

function triangle(root, args, api) {
  const spec = args.spec, size = spec.size;
  const canvas = decodedCanvas(args);
  const draw = single(canvas, args, api);
  const board = el("canvas", { className: "triangle", width: size, height: size });
  const ctx = board.getContext("2d");
  const pad = 18, corners = [[size / 2, pad], [pad, size - pad], [size - pad, size - pad]]; // A top, B left, C right
  let weights = spec.weights, dragging = false;
  const toPx = (w) => [0, 1].map((k) => w[0] * corners[0][k] + w[1] * corners[1][k] + w[2] * corners[2][k]);
  const fromPx = (px, py) => { // barycentric weights, projected onto the triangle (negative parts cut, sum 1)
    const [[ax, ay], [bx, by], [cx, cy]] = corners;
    const det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
    const wa = ((by - cy) * (px - cx) + (cx - bx) * (py - cy)) / det;
    const wb = ((cy - ay) * (px - cx) + (ax - cx) * (py - cy)) / det;
    const w = [wa, wb, 1 - wa - wb].map((v) => Math.max(0, v));
    const sum = w[0] + w[1] + w[2];
    return w.map((v) => v / sum);
  };
  const paintBoard = () => {
    ctx.clearRect(0, 0, size, size);
    ctx.fillStyle = "rgba(128,128,128,0.08)";
    ctx.strokeStyle = "rgba(128,128,128,0.8)";
    ctx.beginPath();
    corners.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath(); ctx.fill(); ctx.stroke();
    ctx.fillStyle = getComputedStyle(document.body).color;
    ctx.font = "bold 13px sans-serif";
    [["A", 0, -5], ["B", -12, 12], ["C", 4, 12]].forEach(([name, dx, dy], i) =>
      ctx.fillText(name, corners[i][0] + dx, corners[i][1] + dy));
    const [px, py] = toPx(weights);
    ctx.fillStyle = "#CC6677";
    ctx.beginPath(); ctx.arc(px, py, 6, 0, 2 * Math.PI); ctx.fill();
  };
  const readout = el("div", { className: "status" });
  const show = () => { readout.textContent = `wA = ${fmt(weights[0], 2)}, wB = ${fmt(weights[1], 2)}, `
    + `wC = ${fmt(weights[2], 2)}`; };
  const move = (e) => {
    const box = board.getBoundingClientRect();
    weights = fromPx(((e.clientX - box.left) / box.width) * size, ((e.clientY - box.top) / box.height) * size);
    paintBoard(); show();
    api.want(mix(spec.anchors, weights, args.latent_dim), 1, draw, e.timeStamp);
  };
  board.addEventListener("pointerdown", (e) => { dragging = true; board.setPointerCapture(e.pointerId); move(e); });
  board.addEventListener("pointermove", (e) => { if (dragging) move(e); });
  board.addEventListener("pointerup", () => {
    dragging = false;
    api.release({ weights: weights.map((v) => +v.toPrecision(9)) });
  });
  paintBoard(); show();
  root.append(el("div", { className: "row" }, [el("div", { className: "picture" }, [board, readout]),
    el("div", { className: "picture" }, [canvas, el("div", { className: "caption", textContent: spec.caption })])]));
  return {
    update(next) { if (!same(next.spec.weights, spec.weights)) { spec.weights = next.spec.weights;
      weights = next.spec.weights; paintBoard(); show(); } },
    redraw() { api.want(mix(spec.anchors, weights, args.latent_dim), 1, draw); },
  };
}

// ------------------------------------------------------------------------------------------------ grid
function grid(root, args, api) {
  let spec = args.spec, temperature = spec.temperature;
  const [height, width] = args.image_size, { cols, scale, eps } = spec, n = eps.length, dim = args.latent_dim;
  const rows = Math.ceil(n / cols), gap = 2;
  const canvas = el("canvas", { className: "decoded", width: cols * (width * scale + gap) + gap,
    height: rows * (height * scale + gap) + gap });
  const ctx = canvas.getContext("2d");
  const draw = (pixels) => {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < n; i++) {
      api.paint(ctx, pixels, i * height * width, height, width, scale,
        gap + (i % cols) * (width * scale + gap), gap + Math.floor(i / cols) * (height * scale + gap));
    }
  };
  const codes = () => {
    const z = new Float32Array(n * dim);
    eps.forEach((e, i) => { for (let k = 0; k < dim; k++) z[i * dim + k] = temperature * e[k]; });
    return z;
  };
  const input = el("input", { type: "range", min: spec.low, max: spec.high, step: spec.step, value: temperature });
  input.setAttribute("aria-label", "temperature");
  const label = el("span", { className: "value", textContent: fmt(temperature, 2) });
  input.addEventListener("input", (e) => {
    temperature = parseFloat(input.value);
    label.textContent = fmt(temperature, 2);
    api.want(codes(), n, draw, api.pointerTime(e));
  });
  input.addEventListener("change", () => api.release({ temperature }));
  root.append(el("div", { className: "row" }, [
    el("div", { className: "controls slider" }, [el("label", {}, [el("span", { textContent: spec.label }), label]),
      input, el("div", { className: "caption", textContent: spec.caption })]),
    el("div", { className: "picture" }, [canvas])]));
  return {
    update(next) { if (next.spec.temperature !== spec.temperature) { temperature = next.spec.temperature;
      input.value = temperature; label.textContent = fmt(temperature, 2); } spec = next.spec; },
    redraw() { api.want(codes(), n, draw); },
  };
}

export const MODES = { sliders, plane, scrub, triangle, grid };
