#!/usr/bin/env bash
# The `auto` benchmark (issue 4): six human-models at sqnr>=30 and sqnr>=40 on
# the default inputs (8), with all-uint8 and all-float16 measured by the same
# evaluator (--compare, not counted). Prints a markdown table; the raw JSON
# reports go to bench/out/auto/. Usage: bench/auto.sh [MODEL...]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${TFJS_QUANT_BIN:-$here/build/tfjs-quant}"
models_dir="${TFJS_QUANT_MODELS:-$("$here/scripts/fetch-models.sh" | tail -1)}"
out="$here/bench/out/auto"
mkdir -p "$out"
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(posenet faceres-deep efficientpose blazeface mobilefacenet handskeleton)
for m in "${models[@]}"; do
  extra=()
  [ "$m" = handskeleton ] && extra=(--outputs Identity)
  for b in 30 40; do
    echo "== $m sqnr>=$b" >&2
    "$bin" auto "$models_dir/$m.json" "$out/$m-$b" --force --budget "sqnr>=$b" --compare --json "${extra[@]}" \
      > "$out/$m-$b.json"
  done
done
python3 "$here/bench/auto_table.py" "$out" "${models[@]}"
