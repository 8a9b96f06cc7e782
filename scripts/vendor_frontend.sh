#!/usr/bin/env bash
# Re-vendor the browser runtime of the live decoder: onnxruntime-web from the npm registry, the plain WebAssembly
# build only (ort.wasm.min.mjs + its single-threaded-capable .mjs/.wasm pair; no JSEP, WebGPU, JSPI or asyncify
# builds), into ui/components/live_decoder/frontend/vendor/ with its licence and a manifest of sizes and SHA-256s.
# The .wasm is stored gzipped (gzip -9 -n: the same bytes on every run), 14.2 MB -> 3.7 MB: Streamlit serves a .gz
# file as it is (application/gzip is never compressed again, where the plain .wasm was gzipped anew on every request,
# ~0.6 s of the server's CPU), and the page unpacks it with DecompressionStream while compiling it
# (frontend/runtime.js). The manifest gives npm's .wasm (its size and SHA-256) and the .gz that stores it.
# Usage: scripts/vendor_frontend.sh [VERSION]   (default: the pinned version below; change it here to upgrade)
# Lesson files embed these same files (aelab.export.lesson, through aelab.resources.live_decoder_root; the wheel
# carries them as aelab/_live_decoder), checked against the manifest written here: one vendoring serves both.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-1.30.0}"
DEST=ui/components/live_decoder/frontend/vendor
FILES=(ort.wasm.min.mjs ort-wasm-simd-threaded.mjs)
WASM=ort-wasm-simd-threaded.wasm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "onnxruntime-web@$VERSION" >/dev/null && tar xzf "onnxruntime-web-$VERSION.tgz")
if ! grep -q '"license": "MIT"' "$work/package/package.json"; then
  echo "error: onnxruntime-web $VERSION is no longer MIT-licensed; check its licence before vendoring" >&2
  exit 2
fi

rm -rf "$DEST" && mkdir -p "$DEST"
for f in "${FILES[@]}"; do cp "$work/package/dist/$f" "$DEST/$f"; done
gzip -9 -n -c "$work/package/dist/$WASM" > "$DEST/$WASM.gz"
# The npm package states its licence in package.json and in each file's header; the text is the project's MIT licence.
cat > "$DEST/LICENSE" <<'LICENSE'
onnxruntime-web (https://www.npmjs.com/package/onnxruntime-web), files under this folder, unmodified.

MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENSE
entry() { # name, file: one line of the manifest
  printf '"%s": {"bytes": %d, "sha256": "%s"}' "$1" "$(stat -c %s "$2")" "$(sha256sum "$2" | cut -d' ' -f1)"
}
{ # the folder's files, then npm's .wasm that the .gz holds
  echo "{\"package\": \"onnxruntime-web\", \"version\": \"$VERSION\", \"files\": {"
  for f in "${FILES[@]}" "$WASM.gz"; do printf '  '; entry "$f" "$DEST/$f"; [[ $f == "$WASM.gz" ]] || printf ','; echo; done
  printf '}, "unpacked": {'; entry "$WASM" "$work/package/dist/$WASM"; printf '}}\n'
} > "$DEST/manifest.json"
total=$(du -cb "$DEST"/* | tail -1 | cut -f1)
echo "vendored onnxruntime-web $VERSION into $DEST: $total bytes ($(numfmt --to=iec "$total"))"
