#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/ (the CMake preset
# "sanitize", shared with scripts/sanitize.sh), then runs each one for
# SECONDS (default 60), one per core at a time, from the seed corpus plus
# the regression inputs, on
# a copy: the committed corpus is never changed. Any crash, sanitizer report
# or broken oracle fails the script; the input is kept in
# build-sanitize/artifacts/ (add it to fuzz/regressions/TARGET/ once fixed).
# Prints the executions per target.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: model_json model glob budget pack rename)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_json model glob budget pack rename)
scripts/configure.sh sanitize
cmake --build build-sanitize -j"$(nproc)" --target "${targets[@]/#/tfjs_quant_fuzz_}" >/dev/null
b=build-sanitize
mkdir -p $b/artifacts
# One target per core at a time; each reports when all are done.
run_one() {
  local t=$1 work log
  work=$(mktemp -d)
  cp fuzz/corpus/"$t"/* "$work"/
  local args=(-max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
              -artifact_prefix=$b/artifacts/"$t"-)
  case $t in
    model_json|model) args+=(-dict=fuzz/json.dict -max_len=16384) ;;
    pack) args+=(-max_len=16384) ;;
    rename) args+=(-max_len=8192) ;;
    glob|budget) args+=(-max_len=256) ;;
  esac
  log=$b/"$t".log
  rm -f "$log.result"
  if $b/fuzz/tfjs_quant_fuzz_"$t" "${args[@]}" "$work" fuzz/regressions/"$t" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz_$t: $runs executions in ${secs} s, no finding" >"$log.result"
  else
    { echo "fuzz_$t: FINDING (see $log and $b/artifacts/)"
      grep -E 'ERROR|runtime error|fuzz oracle|SUMMARY' "$log" | head -5 || true; } >"$log.result"
  fi
  rm -rf "$work"
}
jobs_max=$(nproc)
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run_one "$t" &
done
wait
status=0
for t in "${targets[@]}"; do
  cat $b/"$t".log.result
  grep -q "no finding" $b/"$t".log.result || status=1
done
exit $status
