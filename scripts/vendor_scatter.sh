#!/usr/bin/env bash
# Re-vendor the Latent page's WebGL map library: regl-scatterplot (Fritz Lekschas, MIT) from the npm registry, with
# the two packages its ES module build leaves as imports, regl (MIT) and pub-sub-es (MIT); every other dependency
# (dom-2d-camera, gl-matrix, kdbush, earcut, regl-line) is bundled inside regl-scatterplot.esm.js. Into
# ui/components/live_decoder/frontend/scatter/ (the map is a view of the one live decoder: it shares its runtime and
# its model transfer), each package's own LICENSE beside its file, and a manifest of versions, sizes and SHA-256s.
# regl ships only a UMD build: the page loads it as a classic script (window.createREGL), and frontend/regl.js hands
# that to regl-scatterplot's `import ... from "regl"` (the import map in frontend/index.html).
# Usage: scripts/vendor_scatter.sh   (versions pinned below: change them here to upgrade, then run the map's tests)
set -euo pipefail
cd "$(dirname "$0")/.."
SCATTER=1.16.0 REGL=2.1.1 PUBSUB=3.0.0
DEST=ui/components/live_decoder/frontend/scatter
# package@version  file in its tarball  name here
ITEMS=("regl-scatterplot@$SCATTER dist/regl-scatterplot.esm.js regl-scatterplot.esm.js"
       "regl@$REGL dist/regl.min.js regl.min.js"
       "pub-sub-es@$PUBSUB dist/index.js pub-sub-es.js")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$DEST" && mkdir -p "$DEST"
entries=()
for item in "${ITEMS[@]}"; do
  read -r spec file name <<<"$item"
  package=${spec%@*} version=${spec##*@}
  mkdir -p "$work/$package"
  (cd "$work/$package" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  if ! grep -q '"license": "MIT"' "$work/$package/package/package.json"; then
    echo "error: $spec is no longer MIT-licensed; check its licence before vendoring" >&2
    exit 2
  fi
  cp "$work/$package/package/$file" "$DEST/$name"
  cp "$work/$package/package/LICENSE" "$DEST/LICENSE.$package"
  entries+=("$(printf '"%s": {"package": "%s", "version": "%s", "bytes": %d, "sha256": "%s"}' "$name" "$package" \
    "$version" "$(stat -c %s "$DEST/$name")" "$(sha256sum "$DEST/$name" | cut -d' ' -f1)")")
done
{ echo "{\"files\": {"; (IFS=$'\n'; echo "${entries[*]}") | sed '$!s/$/,/; s/^/  /'; echo "}}"; } > "$DEST/manifest.json"
total=$(du -cb "$DEST"/* | tail -1 | cut -f1)
echo "vendored regl-scatterplot $SCATTER (regl $REGL, pub-sub-es $PUBSUB) into $DEST: $total bytes ($(numfmt --to=iec "$total"))"
