#!/usr/bin/env bash
# The `perf` benchmark: tfjs-quant quantize on a 1 GiB float32 graph model
# (64 tensors of [2048, 2048] N(0, 0.05), 4 MiB shards, bench/make_model.py)
# against `cp -r` of the same folder and a plain numpy implementation of the
# converter's algorithm (bench/numpy_quantize.py), plus posenet end to end.
# Each command gets one untimed warm-up run, so every timed run reads its input
# from the page cache; outputs are removed and `sync` is run before each run,
# outside the timing. Wall time and peak RSS come from GNU `/usr/bin/time -v`.
# Prints a markdown table of medians (bench/perf_table.py).
#
# Usage: bench/perf.sh [--runs N]        (default 5)
# Env:   TFJS_QUANT_BIN      tfjs-quant binary (default build/tfjs-quant)
#        TFJS_QUANT_THREADS  if set, passed to tfjs-quant as --threads N
#        TFJS_QUANT_MODELS   models folder (default: scripts/fetch-models.sh)
#        PYTHON              python with numpy (default: first of python3,
#                            /usr/bin/python3 that can import numpy)
# Needs: python3-numpy and time (Debian packages). Everything goes to bench/out/perf/.
#
# numpy version: numpy >= 2 computes the uint8/uint16 codes in float64, as
# tfjs-quant does by default; Debian 12's numpy 1.24 computes them in float32
# (value-based casting, = `tfjs-quant --arithmetic float32`). The row
# "numpy-uint8" computes numpy 2's float64 expression on any numpy (same bytes
# as tfjs-quant's output); "numpy-uint8-native" is numpy 1.24's own float32
# path, for reference. The numpy version is printed with the machine.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --runs=*) runs="${1#--runs=}"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "perf.sh: unknown argument $1 (usage: bench/perf.sh [--runs N])" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "perf.sh: --runs needs a positive integer" >&2; exit 2; }

bin="${TFJS_QUANT_BIN:-build/tfjs-quant}"
[ -x "$bin" ] || { echo "perf.sh: no tfjs-quant binary at $bin (cmake --build build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "perf.sh: needs GNU time: apt-get install -y time" >&2; exit 1; }
py="${PYTHON:-}"
if [ -z "$py" ]; then
  for c in python3 /usr/bin/python3; do
    if "$c" -c 'import numpy' 2>/dev/null; then py="$c"; break; fi
  done
fi
[ -n "$py" ] || { echo "perf.sh: no python with numpy: apt-get install -y python3-numpy" >&2; exit 1; }
threads=()
[ -n "${TFJS_QUANT_THREADS:-}" ] && threads=(--threads "$TFJS_QUANT_THREADS")
models_dir="${TFJS_QUANT_MODELS:-$(scripts/fetch-models.sh | tail -1)}"

out=bench/out/perf
model="$out/model"
logs="$out/runs"
mkdir -p "$out"
rm -rf "$logs"
mkdir -p "$logs"

# --- machine ---
echo "## perf: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), nproc $(nproc)"
echo "- kernel: $(uname -sr)"
echo "- memory: $(free -m | awk '/^Mem:/ {printf "%d MiB total, %d MiB free, %d MiB available", $2, $4, $7}')"
echo "- tfjs-quant: $bin ($("$bin" --version 2>/dev/null | head -1))${threads:+, --threads $TFJS_QUANT_THREADS}"
echo "- python: $py $("$py" -c 'import sys, numpy; print(sys.version.split()[0] + ", numpy " + numpy.__version__)')"
echo "- $runs timed runs per command after one untimed warm-up run, so every command reads its"
echo "  input from the page cache; output removed and \`sync\` before each run, outside the timing."
echo

# --- the 1 GiB model, generated once ---
want=$((64 * 16 * 1024 * 1024))
have=0
if [ -f "$model/model.json" ]; then
  have=$(find "$model" -name 'group1-shard*of256.bin' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
fi
if [ "$have" != "$want" ]; then
  echo "generating $model (1 GiB) ..." >&2
  rm -rf "$model"
  "$py" bench/make_model.py "$model" --tensors 64 --tensor-mib 16 --shard-mib 4 --seed 0 >&2
fi

# --- timed commands: label, output folder, command (IN and OUT filled in) ---
: > "$out/commands.tsv"
. bench/timed_runs.sh
for d in uint8 uint16 float16; do
  bench_cmd "tfjs-quant-$d" "$out/tfjs-$d" \
    "$bin" quantize "$model" "$out/tfjs-$d" --force "--quantize_$d" "${threads[@]}"
done
bench_cmd cp "$out/cp" cp -r "$model" "$out/cp"
# The same float64 arithmetic as tfjs-quant's default (numpy >= 2, and so the
# same bytes), then numpy 1.x's own float32 arithmetic for reference.
bench_cmd numpy-uint8 "$out/numpy-uint8" \
  "$py" bench/numpy_quantize.py "$model" "$out/numpy-uint8" --dtype uint8
bench_cmd numpy-uint8-native "$out/numpy-uint8-native" \
  "$py" bench/numpy_quantize.py "$model" "$out/numpy-uint8-native" --dtype uint8 --arithmetic native
rm -rf "$out/cp"  # 1 GiB we do not need to keep

# --- posenet end to end, in milliseconds (bash's EPOCHREALTIME, no wrapper) ---
pose_runs=20
pose="$models_dir/posenet.json"
pose_out="$out/posenet-uint8"
pose_cmd=("$bin" quantize "$pose" "$pose_out" --force --quantize_uint8 "${threads[@]}")
echo "== posenet: ${pose_cmd[*]} (warm-up + $pose_runs runs)" >&2
printf '%s\n' "${pose_cmd[*]}" > "$out/posenet.cmd"
: > "$out/posenet_ms.txt"
for i in $(seq 0 "$pose_runs"); do
  rm -rf "$pose_out"
  t0=$EPOCHREALTIME
  "${pose_cmd[@]}" > "$logs/posenet.log" 2>&1 || { cat "$logs/posenet.log" >&2; exit 1; }
  t1=$EPOCHREALTIME
  [ "$i" = 0 ] || awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) * 1000}' >> "$out/posenet_ms.txt"
done

"$py" bench/perf_table.py "$out"
