// regl for regl-scatterplot's `import createREGL from "regl"` (the import map in index.html): regl ships only a UMD
// build, which map.js loads as a classic script first (it sets window.createREGL); this hands that to the ES module.
export default globalThis.createREGL;
