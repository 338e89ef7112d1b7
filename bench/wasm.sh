#!/usr/bin/env bash
# The WebAssembly build against the native CLI, in one run: the npm package's
# quantize() in Node (bench/wasm_quantize.mjs: read the folder, quantize,
# write), its npx CLI (js/bin/tfjs-quant.js, the CLI over Node's fs) and
# `tfjs-quant quantize --threads 1` (the native build on one
# thread, as WebAssembly runs) on posenet and on a generated 256 MiB float32
# model (16 tensors of [2048, 2048], bench/make_model.py), uint8 and float16.
# Outputs are compared byte for byte. Each command gets one untimed warm-up
# run; wall time and peak RSS are medians of N runs from GNU time.
# Usage: bench/wasm.sh [--runs N]   (default 3; needs build/, js/dist/, python3-numpy, time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
[ "${1:-}" = --runs ] && runs=$2
bin=build/tfjs-quant
[ -x "$bin" ] || { echo "wasm.sh: build the native CLI first (scripts/setup.sh)" >&2; exit 1; }
[ -f js/dist/tfjs_quant.wasm.js ] || { echo "wasm.sh: build the package first (cd js && npm run build)" >&2; exit 1; }
out=bench/out/wasm
mkdir -p "$out"
big="$out/model-256mib"
if [ ! -f "$big/model.json" ]; then
  echo "generating $big ..." >&2
  py=python3
  python3 -c 'import numpy' 2>/dev/null || py=/usr/bin/python3  # Debian's, with python3-numpy
  "$py" bench/make_model.py "$big" --tensors 16 --tensor-mib 16 --shard-mib 4 --seed 0 >&2
fi
models=$(scripts/fetch-models.sh)
pose="$out/posenet"
if [ ! -f "$pose/posenet.json" ]; then  # posenet alone in a folder: the package reads whole folders
  mkdir -p "$pose"
  cp "$models/posenet.json" "$models"/posenet*.bin "$pose/"
fi

# One row: median seconds and peak RSS (MiB) of `runs` timed runs.
measure() {  # dest cmd...
  local dest=$1; shift
  local times=() rss=()
  for i in $(seq 0 "$runs"); do
    rm -rf "$dest"
    /usr/bin/time -f '%e %M' -o "$out/time" "$@" >/dev/null 2>"$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
    [ "$i" = 0 ] && continue
    read -r t m < "$out/time"
    times+=("$t"); rss+=("$m")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%s ", a[int((NR+1)/2)]}'
  printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%d\n", a[int((NR+1)/2)] / 1024}'
}

echo "## WebAssembly vs native: $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p' | head -1), node $(node --version)"
echo
echo "| model | dtype | native --threads 1 s | API s | npx s | API / native throughput | npx / native | native MB/s | API MB/s | npx MB/s | native peak MiB | API peak MiB | npx peak MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
declare -A secs mbytes
for m in "$pose" "$big"; do
  bytes=$(find "$m" -name '*.bin' -printf '%s\n' | awk '{s+=$1} END {print s}')
  mbytes[$m]=$bytes
  for d in uint8 float16; do
    read -r nt nm < <(measure "$out/native" "$bin" quantize "$m" "$out/native" --threads 1 "--quantize_$d")
    read -r wt wm < <(measure "$out/wasm" node bench/wasm_quantize.mjs "$m" "$out/wasm" "$d")
    read -r xt xm < <(measure "$out/npx" node js/bin/tfjs-quant.js quantize "$m" "$out/npx" "--quantize_$d")
    secs[$m,$d]="$nt $wt $xt"
    for o in wasm npx; do
      diff -r "$out/native" "$out/$o" >/dev/null || { echo "wasm.sh: $o output differs for $m $d" >&2; exit 1; }
    done
    awk -v n="$(basename "$m")" -v d="$d" -v b="$bytes" -v nt="$nt" -v wt="$wt" -v xt="$xt" -v nm="$nm" -v wm="$wm" \
        -v xm="$xm" 'BEGIN {
      printf "| %s (%.1f MB) | %s | %.3f | %.3f | %.3f | %.2f | %.2f | %.0f | %.0f | %.0f | %d | %d | %d |\n",
        n, b / 1e6, d, nt, wt, xt, nt / wt, nt / xt, b / 1e6 / nt, b / 1e6 / wt, b / 1e6 / xt, nm, wm, xm }'
  done
done
rm -rf "$out/native" "$out/wasm" "$out/npx"
echo
# Start-up (Node, compiling the module, its first runs before V8 tiers the
# hot code up) costs the WebAssembly builds a fixed ~0.3-0.4 s that posenet
# shows: the marginal throughput is what the large model adds over posenet.
echo "| dtype | marginal MB/s native | API | npx | API / native | npx / native |"
echo "|---|---|---|---|---|---|"
for d in uint8 float16; do
  awk -v d="$d" -v b="$(( ${mbytes[$big]} - ${mbytes[$pose]} ))" -v p="${secs[$pose,$d]}" -v g="${secs[$big,$d]}" 'BEGIN {
    split(p, a, " "); split(g, c, " ");
    for (i = 1; i <= 3; ++i) r[i] = b / 1e6 / (c[i] - a[i]);
    printf "| %s | %.0f | %.0f | %.0f | %.2f | %.2f |\n", d, r[1], r[2], r[3], r[2] / r[1], r[3] / r[1] }'
done
echo
echo "Times are whole processes (Node's start, the module's compile and the file reads and writes included); outputs identical."
echo "API: bench/wasm_quantize.mjs (read the folder, quantize(), write); npx: js/bin/tfjs-quant.js (the CLI on Node's fs)."
