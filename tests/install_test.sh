#!/usr/bin/env bash
# Installs the library into a temporary prefix and builds examples/ against
# it with find_package, then runs the example: the C++ API works as shipped.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: install_test.sh BUILD_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# Every installed header compiles on its own against the installed tree, and
# none whose library is not installed is there.
for h in "$tmp"/prefix/include/tfjs_quant/*.h; do
  echo "#include <tfjs_quant/$(basename "$h")>" > "$tmp/one.cc"
  c++ -std=c++20 -fsyntax-only -I "$tmp/prefix/include" "$tmp/one.cc" || { echo "install test: $(basename "$h") does not compile alone"; exit 1; }
done
for h in pack.h packed.h export.h hdf5.h; do
  if [ -e "$tmp/prefix/include/tfjs_quant/$h" ]; then echo "install test: $h is installed without its library"; exit 1; fi
done
echo "install test: $(ls "$tmp"/prefix/include/tfjs_quant | wc -l) headers, each compiles alone"
cmake -S "$src/examples" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" -j2 >/dev/null
out=$("$tmp/build/quantize_one")
echo "$out"
grep -q "1 weights; first: w" <<<"$out"
grep -q "min -1.0007843354169061 scale 0.008627451167387121 first code 0" <<<"$out"
grep -q "20 bytes -> 5 bytes in 2 files" <<<"$out"
core=$("$tmp/build/from_bytes")
echo "$core"
grep -q "core only: 16 bytes -> 4 bytes" <<<"$core"
report=$("$tmp/build/report_one")
echo "$report"
grep -q "report: 1024 bytes stored" <<<"$report"
echo "install test: passed"
