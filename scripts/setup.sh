#!/usr/bin/env bash
# Installs what tfjs-quant needs on Debian 12 (as root) and builds it into
# build/. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: compiler, CMake, Ninja and ccache (a rebuild of what this
# machine compiled before is a cache hit); nlohmann-json (JSON), CLI11 (command
# line), fmt (output formatting), GoogleTest (unit tests); Node.js and npm for
# the TensorFlow.js compatibility suite and to fetch the test models.
# zlib and brotli measure sizes on the wire (inspect); libhdf5 reads Keras
# weights (pack); RE2 runs pack's --rename (linear time on names from
# files); Chromium renders the
# HTML report in its test. Google Benchmark (kernel micro-benchmarks), numpy
# and GNU time serve bench/perf.sh (the comparison with numpy and cp -r).
# util-linux's prlimit and setpriv (part of Debian) run the tool under a
# file-size or address-space limit, or as another user, in the CLI tests.
pkgs=(g++ cmake ninja-build ccache make pkg-config ca-certificates nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev
      zlib1g-dev libbrotli-dev libhdf5-dev libre2-dev libbenchmark-dev python3-numpy time)
[ "${TFJS_QUANT_NO_BROWSER:-}" = 1 ] || pkgs+=(chromium)
# clang and its compiler-rt build the libFuzzer targets (scripts/test.sh);
# PyTorch, h5py and onnx write the files the pack tests read.
[ "${TFJS_QUANT_TEST_TOOLS:-}" = 1 ] && pkgs+=(clang libclang-rt-14-dev python3-torch python3-h5py python3-onnx)
# emscripten builds the WebAssembly core of the npm package (js/): for the
# tests, or with TFJS_QUANT_WASM=1. It compiles zlib, brotli and RE2 from
# Debian's sources (scripts/debian-sources.sh); RE2's Unicode tables are
# made from unicode-data by its Python scripts (python3-six), as Debian's
# build makes them.
wasm=0
if [ "${TFJS_QUANT_TEST_TOOLS:-}" = 1 ] || [ "${TFJS_QUANT_WASM:-}" = 1 ]; then
  wasm=1
  pkgs+=(emscripten unicode-data python3-six perl)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/configure.sh dev
# Ninja's output only on failure: it names the file that did not compile.
cmake --build build -j"$(nproc)" >build/build.log 2>&1 || { tail -n 40 build/build.log; exit 1; }
echo "setup: built build/tfjs-quant"
if [ $wasm = 1 ]; then
  scripts/debian-sources.sh
  # The web page's TensorFlow.js bundles (js/dist/web/vendor/) come from
  # js/node_modules (devDependencies, pinned by js/package-lock.json).
  # Reinstalled only when the lockfile changed.
  if ! [ js/node_modules/.installed -nt js/package-lock.json ]; then
    (cd js && npm ci --silent --no-audit --no-fund && touch node_modules/.installed)
  fi
  (cd js && npm run --silent build)
fi

# The TensorFlow.js evaluator `tfjs-quant auto` starts (tfjs-core, -converter,
# -layers, -backend-wasm 4.22.0 from its lockfile). Reinstalled only when the
# lockfile changed.
if ! [ evaluator/node_modules/.installed -nt evaluator/package-lock.json ]; then
  (cd evaluator && npm ci --silent --no-audit --no-fund && touch node_modules/.installed)
fi
echo "setup: installed the evaluator (evaluator/node_modules)"
