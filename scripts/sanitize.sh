#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer
# (GCC), with the portable kernels and without threads, as WebAssembly will
# run the core, into build-asan/, and runs every C++ test there (core, edges,
# the CLI tests against the sanitized tool, fuzz replays). Any report stops
# the program that made it, and so fails its test.
# Usage: scripts/sanitize.sh   (after scripts/setup.sh has installed the packages)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset asan-ubsan >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null || cmake --build build-asan -j1
# The installed static library carries the sanitizer runtime; the install
# test builds without it, so it runs in the plain build only.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2 -E install_find_package)
