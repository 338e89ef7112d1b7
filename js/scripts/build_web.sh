#!/usr/bin/env bash
# Assembles the web page (js/web/) into a complete static folder,
# dist/web/, that any static host can serve from any path (the page uses
# relative URLs only and loads nothing from the network beyond it):
#   index.html, style.css, *.js      the page (js/web/)
#   pkg/src/*.js                     the package's API (js/src/)
#   pkg/dist/tfjs_quant.wasm.js      the core, as src/module.js loads it
#   pkg/dist/evaluator/*.mjs         auto's browser-safe evaluator (dist/evaluator/, from build.sh)
#   vendor/                          stock TensorFlow.js 4.22.0 UMD bundles and the wasm backend's
#                                    .wasm files, from node_modules (npm ci in js/)
# Called at the end of scripts/build.sh; runs alone too (after a build).
set -euo pipefail
cd "$(dirname "$0")/.."
tfjs=node_modules/@tensorflow
[ -f dist/tfjs_quant.wasm.js ] || { echo "build_web: dist/tfjs_quant.wasm.js is missing (npm run build)" >&2; exit 1; }
[ -d "$tfjs/tfjs-core" ] || { echo "build_web: $tfjs is missing (npm ci in js/)" >&2; exit 1; }
out=dist/web
rm -rf "$out.tmp"
mkdir -p "$out.tmp/pkg/src" "$out.tmp/pkg/dist/evaluator" "$out.tmp/vendor"
cp web/*.html web/*.css web/*.js "$out.tmp/"
cp src/*.js "$out.tmp/pkg/src/"
cp dist/tfjs_quant.wasm.js "$out.tmp/pkg/dist/"
if compgen -G "dist/evaluator/*.mjs" >/dev/null; then cp dist/evaluator/*.mjs "$out.tmp/pkg/dist/evaluator/"; fi
for f in tfjs-core/dist/tf-core.min.js tfjs-converter/dist/tf-converter.min.js tfjs-layers/dist/tf-layers.min.js \
         tfjs-backend-webgl/dist/tf-backend-webgl.min.js tfjs-backend-wasm/dist/tf-backend-wasm.min.js \
         tfjs-backend-cpu/dist/tf-backend-cpu.min.js \
         tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm \
         tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm; do
  cp "$tfjs/$f" "$out.tmp/vendor/"
done
# Every bundle is the pinned release: a stray version would be a different tfjs.
for p in core converter layers backend-webgl backend-wasm backend-cpu; do
  v=$(node -p "require('./$tfjs/tfjs-$p/package.json').version")
  [ "$v" = 4.22.0 ] || { echo "build_web: @tensorflow/tfjs-$p is $v, not 4.22.0 (npm ci in js/)" >&2; exit 1; }
done
# The page's module graph is complete and browser-only: every import of
# every module is a relative path to a file in the folder (no Node
# built-in, no package name, nothing left out).
node --input-type=module - "$out.tmp" <<'JS'
import fs from 'node:fs';
import path from 'node:path';
const root = process.argv[2];
const bad = [];
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? (e.name === 'vendor' ? [] : walk(path.join(d, e.name))) : [path.join(d, e.name)]);
for (const file of walk(root).filter((f) => /\.m?js$/.test(f))) {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
                 ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
                 ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  for (const spec of specs) {
    const ok = (spec.startsWith('./') || spec.startsWith('../')) && fs.existsSync(path.resolve(path.dirname(file), spec));
    if (!ok) bad.push(`${path.relative(root, file)} imports ${spec}`);
  }
}
if (bad.length) {
  console.error(`build_web: the page would not load: ${bad.join('; ')}`);
  process.exit(1);
}
JS
rm -rf "$out"
mv "$out.tmp" "$out"
echo "build_web: $out ($(find "$out" -type f | wc -l) files, $(du -sb "$out" | cut -f1) bytes)"
