#!/usr/bin/env bash
# The `pack` benchmark: tfjs-quant pack of a generated 1 GiB safetensors file
# (64 float32 tensors of [2048, 2048], bench/make_safetensors.py) into tfjs
# weights, as stored and quantized, against `cp` of the same file, in one
# run. One untimed warm-up run per command (input from the page cache);
# outputs removed and `sync` before each run, outside the timing. Wall time
# and peak RSS from GNU `/usr/bin/time -v`; prints a markdown table of
# medians with each command's time as a multiple of cp's.
#
# Usage: bench/pack.sh [--runs N]        (default 3)
# Env:   TFJS_QUANT_BIN  tfjs-quant binary (default build/tfjs-quant)
# Needs: python3-numpy and time (Debian packages). Everything goes to bench/out/pack/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
[ "${1:-}" = --runs ] && runs="$2"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "pack.sh: --runs needs a positive integer" >&2; exit 2; }
bin="${TFJS_QUANT_BIN:-build/tfjs-quant}"
[ -x "$bin" ] || { echo "pack.sh: no tfjs-quant binary at $bin (cmake --build build)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "pack.sh: needs GNU time: apt-get install -y time" >&2; exit 1; }
py=/usr/bin/python3

out=bench/out/pack
src="$out/weights.safetensors"
logs="$out/runs"
mkdir -p "$out"
rm -rf "$logs"
mkdir -p "$logs"
want=$((64 * 16 * 1024 * 1024))
if [ ! -f "$src" ] || [ $(( $(stat -c %s "$src") - want )) -gt 65536 ] || [ "$(stat -c %s "$src")" -lt "$want" ]; then
  echo "generating $src (1 GiB) ..." >&2
  "$py" bench/make_safetensors.py "$src" --tensors 64 --seed 0
fi

echo "## pack: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), nproc $(nproc)"
echo "- input: $src, $(stat -c %s "$src") bytes; $runs timed runs per command after a warm-up"
echo

: > "$out/commands.tsv"
. bench/timed_runs.sh
bench_cmd cp "$out/cp.safetensors" cp "$src" "$out/cp.safetensors"
bench_cmd pack-float32 "$out/f32" "$bin" pack "$src" "$out/f32"
bench_cmd pack-uint8 "$out/u8" "$bin" pack "$src" "$out/u8" --quantize_uint8
bench_cmd pack-float16 "$out/f16" "$bin" pack "$src" "$out/f16" --quantize_float16
rm -rf "$out/cp.safetensors" "$out/f32" "$out/u8" "$out/f16"

"$py" - "$out" <<'PY'
import glob, os, re, statistics, sys
folder = sys.argv[1]
def parse(f):
    t = open(f).read()
    m = re.search(r"Elapsed \(wall clock\) time.*: ([0-9:.]+)\s*$", t, re.M)
    s = 0.0
    for p in m.group(1).split(":"):
        s = s * 60 + float(p)
    return s, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
rows = []
for line in open(os.path.join(folder, "commands.tsv")):
    label, cmd = line.rstrip("\n").split("\t", 1)
    r = [parse(f) for f in glob.glob(os.path.join(folder, "runs", label + ".*.time")) if not f.endswith(".warmup.time")]
    rows.append((label, cmd, statistics.median(w for w, _ in r), statistics.median(m for _, m in r)))
cp = rows[0][2]
print("| command | wall (median) | x cp | peak RSS |")
print("|---|---:|---:|---:|")
for label, cmd, wall, rss in rows:
    print(f"| `{label}` | {wall:.2f} s | {wall / cp:.2f} | {rss:.0f} MiB |")
PY
