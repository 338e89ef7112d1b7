#!/usr/bin/env bash
# The compatibility sweep: every real model, not scripts/test.sh's sample.
# Stock TensorFlow.js 4.22.0 decodes tfjs-quant's uint8, uint16 and float16
# output of all 41 human-models models exactly as tfjs-quant does and runs
# each (tests/node/compat.test.mjs), and the npm package (API and npx)
# writes the native CLI's bytes for all of them and for face-api's 7
# manifests (tests/node/js_identity.test.mjs). Run it before a release, or
# after a change to the format code; it takes about ten minutes on 2 cores.
# Needs scripts/test.sh's set-up (build/, js/dist/, tests/node/node_modules).
# Usage: bench/compat.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
models=$(cd "$here" && cd "$(scripts/fetch-models.sh)" && pwd)
face_api=$(cd "$here" && cd "$(scripts/fetch-models.sh face-api)" && pwd)
cd "$here/tests/node"
start=$SECONDS
TFJS_QUANT_SAMPLE=all TFJS_QUANT_REQUIRE_ALL=1 TFJS_QUANT_BIN="$here/build/tfjs-quant" TFJS_QUANT_MODELS="$models" \
  TFJS_QUANT_FACE_API="$face_api" node --test --test-concurrency="$(nproc)" compat.test.mjs js_identity.test.mjs
echo "compat.sh: every model passed in $(( SECONDS - start )) s"
