#!/usr/bin/env bash
# The web page's figures: its weight (js/dist/web, every file: raw bytes and
# gzip -6, by part), and, in headless Chromium (playwright-core from
# tests/node, the system Chromium) with ?backend=wasm, for posenet: the
# page's load until TensorFlow.js is ready, the time from setInputFiles to
# the report (state 'report'; cold: a fresh browser context per run) and
# what the page fetched for it, then `auto` at sqnr>=30 on the default
# inputs (click on #auto-run to state 'auto-done') against the native
# `tfjs-quant auto posenet.json OUT --budget sqnr>=30` on the same machine.
# Prints markdown tables; the raw figures go to bench/out/page/.
#
# Usage: bench/page.sh [--runs N] [--no-auto]    (N report runs, default 3; --no-auto: weight and report only)
# Env:   TFJS_QUANT_BIN (default build/tfjs-quant), TFJS_QUANT_MODELS (default: scripts/fetch-models.sh),
#        CHROMIUM_BIN (default /usr/bin/chromium)
# Needs: js/dist/web (bash js/scripts/build_web.sh), npm ci in tests/node (playwright-core).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs=3
auto=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="${2:-}"; shift 2 ;;
    --no-auto) auto=0; shift ;;
    *) echo "page.sh: unknown argument $1 (--runs N, --no-auto)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "page.sh: --runs needs a positive integer" >&2; exit 2; }
web="$here/js/dist/web"
bin="${TFJS_QUANT_BIN:-$here/build/tfjs-quant}"
models_dir="${TFJS_QUANT_MODELS:-$(cd "$here" && "$here/scripts/fetch-models.sh" | tail -1)}"
case "$models_dir" in /*) ;; *) models_dir="$here/$models_dir" ;; esac  # fetch-models.sh prints it relative to the repository
[ -f "$web/index.html" ] || { echo "page.sh: $web/index.html is missing: bash js/scripts/build_web.sh" >&2; exit 1; }
[ -x "$bin" ] || { echo "page.sh: no tfjs-quant binary at $bin (cmake --build build)" >&2; exit 1; }
[ -f "$models_dir/posenet.json" ] || { echo "page.sh: no posenet.json in $models_dir" >&2; exit 1; }
[ -d "$here/tests/node/node_modules/playwright-core" ] || { echo "page.sh: npm ci in tests/node (playwright-core)" >&2; exit 1; }
out="$here/bench/out/page"
mkdir -p "$out"

echo "## web page: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), nproc $(nproc)"
echo "- Chromium: $("${CHROMIUM_BIN:-/usr/bin/chromium}" --version 2>/dev/null | head -1), Node $(node --version)"
echo

# --- weight -----------------------------------------------------------------
part_of() {
  case "$1" in
    vendor/*.wasm) echo "vendor/*.wasm (tfjs wasm backend)" ;;
    vendor/*) echo "vendor/*.js (tfjs 4.22.0 bundles)" ;;
    pkg/dist/evaluator/*) echo "pkg/dist/evaluator (auto's evaluator)" ;;
    pkg/*) echo "pkg/ (the package: API + core as wasm)" ;;
    *) echo "the page (html, css, js)" ;;
  esac
}
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
declare -A files raw gz
total_raw=0 total_gz=0 total_files=0
while IFS= read -r -d '' f; do
  rel="${f#"$web"/}"
  p="$(part_of "$rel")"
  r=$(stat -c %s "$f")
  g=$(gzip -6 -c < "$f" | wc -c)
  files[$p]=$(( ${files[$p]:-0} + 1 )); raw[$p]=$(( ${raw[$p]:-0} + r )); gz[$p]=$(( ${gz[$p]:-0} + g ))
  total_files=$((total_files + 1)); total_raw=$((total_raw + r)); total_gz=$((total_gz + g))
done < <(find "$web" -type f -print0 | sort -z)
echo "### page weight: js/dist/web"
echo
echo "| part | files | bytes | gzip -6 |"
echo "|---|--:|--:|--:|"
for p in "the page (html, css, js)" "pkg/ (the package: API + core as wasm)" "pkg/dist/evaluator (auto's evaluator)" \
         "vendor/*.js (tfjs 4.22.0 bundles)" "vendor/*.wasm (tfjs wasm backend)"; do
  [ -n "${files[$p]:-}" ] || continue
  printf '| %s | %d | %s | %s |\n' "$p" "${files[$p]}" "$(commas "${raw[$p]}")" "$(commas "${gz[$p]}")"
done
printf '| **all** | %d | %s | %s |\n' "$total_files" "$(commas "$total_raw")" "$(commas "$total_gz")"
echo

# --- native auto --------------------------------------------------------------
native_json="$out/native-auto.json"
if [ "$auto" = 1 ]; then
  echo "native: tfjs-quant auto posenet.json --budget sqnr>=30 ..." >&2
  t0=$(date +%s.%N)
  "$bin" auto "$models_dir/posenet.json" "$out/native-out" --force --budget 'sqnr>=30' --json > "$native_json"
  t1=$(date +%s.%N)
  native_wall=$(echo "$t1 - $t0" | bc)
else
  echo '{}' > "$native_json"
  native_wall=""
fi

# --- the page in Chromium -----------------------------------------------------
driver="$out/driver.mjs"
cat > "$driver" <<'EOF'
import fs from 'node:fs';
import path from 'node:path';
const [helpers, repo, models, runs, auto] = process.argv.slice(2);
const { launchChromium, serveWeb, waitForState, filePayloads } = await import(helpers);
const server = await serveWeb(path.join(repo, 'js'), path.join(repo, 'js', 'dist', 'web'));
const browser = await launchChromium();
const files = filePayloads(models, ['posenet.json', 'posenet.bin']);
const result = { report: [], auto: null };
try {
  let page;
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });  // cold cache
    const sizes = [];  // [url, promise of the response body's size]
    context.on('requestfinished', (r) => sizes.push([r.url(), r.sizes().then((z) => z.responseBodySize, () => 0)]));
    page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${server.base}?backend=wasm`);
    await page.waitForFunction(() => document.body.dataset.state === 'empty', null, { timeout: 60_000 });
    const tLoad = performance.now();
    await page.waitForFunction(() => /wasm/.test(document.querySelector('#backend')?.textContent ?? ''), null,
                               { timeout: 120_000 });
    const tTf = performance.now();
    // In the page: from the input's change event (the files are there) to state 'report'.
    await page.evaluate(() => {
      window.__bench = {};
      document.querySelector('input#model-files').addEventListener('change', () => { window.__bench.change = performance.now(); },
                                                                    { capture: true, once: true });
      new MutationObserver(() => {
        if (document.body.dataset.state === 'report' && !window.__bench.report) window.__bench.report = performance.now();
      }).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
    });
    const t1 = performance.now();
    await page.setInputFiles('input#model-files', files);
    const state = await waitForState(page, ['report', 'error'], 300_000);
    const t2 = performance.now();
    if (state !== 'report') throw new Error(`state ${state}: ${await page.textContent('#message')}`);
    const pageMs = Number(await page.evaluate(() => document.body.dataset.reportMs ?? NaN));
    const inPageMs = await page.evaluate(() => window.__bench.report - window.__bench.change);
    const bodies = await Promise.all(sizes.map(([, z]) => z));
    const fetched = bodies.reduce((a, b) => a + b, 0);
    const requests = sizes.length;
    if (i === 0) fs.writeFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'requests.txt'),
                                  sizes.map(([u], k) => `${bodies[k]}\t${u}`).join('\n') + '\n');
    result.report.push({ loadMs: tLoad - t0, tfReadyMs: tTf - t0, reportMs: t2 - t1, inPageMs, pageReportMs: pageMs,
                         fetched, requests });
    if (i + 1 < Number(runs)) await context.close();
  }
  if (auto === '1') {
    const t0 = performance.now();
    await page.click('#auto-run');
    const state = await waitForState(page, ['auto-done', 'report', 'error'], 60 * 60_000);
    const ms = performance.now() - t0;
    if (state !== 'auto-done') throw new Error(`auto ended in state ${state}: ${await page.textContent('#message')}`);
    const r = await page.$eval('#auto-result', (e) => ({ ...e.dataset, text: e.textContent.trim() }));
    const inferences = /\((\d+) inferences\)/.exec(r.text)?.[1];
    result.auto = { ms, sqnr: Number(r.sqnr), bytes: Number(r.bytes), evaluations: Number(r.evaluations),
                    inferences: inferences ? Number(inferences) : null, text: r.text };
  }
} finally {
  await browser.close();
  await server.stop();
}
process.stdout.write(JSON.stringify(result));
EOF
echo "the page: $runs report run(s)$([ "$auto" = 1 ] && echo ', then auto') in headless Chromium ..." >&2
node "$driver" "$here/tests/node/web_helpers.mjs" "$here" "$models_dir" "$runs" "$auto" > "$out/page.json"

node - "$out/page.json" "$native_json" "$native_wall" <<'EOF'
const fs = require('node:fs');
const [pageFile, nativeFile, nativeWall] = process.argv.slice(2);
const page = JSON.parse(fs.readFileSync(pageFile, 'utf8'));
const native = JSON.parse(fs.readFileSync(nativeFile, 'utf8'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const int = (n) => Math.round(n).toLocaleString('en-US');
const r = page.report;
console.log(`### posenet in the page (?backend=wasm), median of ${r.length} cold run(s)\n`);
console.log('| step | time |');
console.log('|---|--:|');
console.log(`| page load (goto to state 'empty') | ${sec(median(r.map((x) => x.loadMs)))} |`);
console.log(`| TensorFlow.js ready (goto to #backend = wasm) | ${sec(median(r.map((x) => x.tfReadyMs)))} |`);
console.log(`| the files given (input change event) to the report (state 'report'), in the page | ${sec(median(r.map((x) => x.inPageMs)))} |`);
console.log(`| the same from setInputFiles (adds playwright's transfer of the 5 MB to the page) | ${sec(median(r.map((x) => x.reportMs)))} |`);
console.log(`| the page's own figure (data-report-ms: read, inspect in the worker, render) | ${sec(median(r.map((x) => x.pageReportMs)))} |`);
console.log(`| fetched from the server until the report (${median(r.map((x) => x.requests))} requests) | ${int(median(r.map((x) => x.fetched)))} bytes |`);
console.log(`\nruns (change to report, ms): ${r.map((x) => Math.round(x.inPageMs)).join(', ')}\n`);
if (page.auto) {
  const a = page.auto;
  const n = native;
  console.log('### auto, posenet, sqnr>=30, default inputs (8, seed 1)\n');
  console.log('| where | wall time | evaluations | inferences | SQNR dB | bytes | share of float32 |');
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  const f32 = n.sizes?.float32;
  console.log(`| the page (Chromium, tfjs wasm backend) | ${sec(a.ms)} | ${a.evaluations} | ${a.inferences ?? '-'} | ${a.sqnr.toFixed(2)} | ${int(a.bytes)} | ${f32 ? `${(100 * a.bytes / f32).toFixed(1)}%` : '-'} |`);
  if (n.sizes) {
    console.log(`| native CLI (tfjs wasm backend in Node) | ${Number(nativeWall).toFixed(2)} s | ${n.evaluations} | ${n.inferences} | ` +
                `${n.metrics.final.sqnr_db.toFixed(2)} | ${int(n.sizes.written)} | ${(100 * n.sizes.chosen_share_of_float32).toFixed(1)}% |`);
    console.log(`\npage / native wall time: ${(a.ms / 1000 / Number(nativeWall)).toFixed(2)}x`);
  }
}
EOF
