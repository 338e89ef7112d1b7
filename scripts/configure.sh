#!/usr/bin/env bash
# Configures the CMake preset PRESET (dev, sanitize, wasm: CMakePresets.json)
# into its folder, quietly. A folder configured earlier with another
# generator (before the presets used Ninja) is configured afresh, since
# CMake refuses to switch generators in place.
# Usage: scripts/configure.sh PRESET [-DVAR=VALUE...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: scripts/configure.sh PRESET}
shift
case $preset in dev) dir=build ;; sanitize) dir=build-sanitize ;; wasm) dir=build-wasm ;;
  *) echo "configure.sh: unknown preset $preset" >&2; exit 2 ;; esac
if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
  rm -rf "$dir"
fi
cmake --preset "$preset" "$@" >/dev/null
