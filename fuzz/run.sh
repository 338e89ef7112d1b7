#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, then runs each one for
# SECONDS (default 60) from the seed corpus plus the regression inputs, on
# a copy: the committed corpus is never changed. Any crash, sanitizer report
# or broken oracle fails the script; the input is kept in
# build-fuzz/artifacts/ (add it to fuzz/regressions/TARGET/ once fixed).
# Prints the executions per target.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: model_json model glob budget)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_json model glob budget)
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTFJS_QUANT_LIBFUZZER=ON \
  -DTFJS_QUANT_SANITIZE=ON -DTFJS_QUANT_BUILD_TOOLS=OFF -DTFJS_QUANT_BUILD_TESTS=OFF -DTFJS_QUANT_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
mkdir -p build-fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp fuzz/corpus/"$t"/* "$work"/
  args=(-max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix=build-fuzz/artifacts/"$t"-)
  case $t in
    model_json|model) args+=(-dict=fuzz/json.dict -max_len=16384) ;;
    glob) args+=(-max_len=256) ;;
    budget) args+=(-max_len=256) ;;
  esac
  log=build-fuzz/"$t".log
  if build-fuzz/fuzz/tfjs_quant_fuzz_"$t" "${args[@]}" "$work" fuzz/regressions/"$t" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz_$t: $runs executions in ${secs} s, no finding"
  else
    echo "fuzz_$t: FINDING (see $log and build-fuzz/artifacts/)"
    grep -E 'ERROR|runtime error|fuzz oracle|SUMMARY' "$log" | head -5 || true
    status=1
  fi
  rm -rf "$work"
done
exit $status
