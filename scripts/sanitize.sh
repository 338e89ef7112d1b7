#!/usr/bin/env bash
# Builds everything with clang, AddressSanitizer, UndefinedBehaviorSanitizer
# and libFuzzer's coverage, without threads (as WebAssembly will run the
# core), into build-sanitize/ (CMake preset "sanitize"), and runs every C++
# test there: core, edges, the CLI tests against the sanitized tool, the
# kernels on both paths. Any report stops the program that made it, and so
# fails its test. fuzz/run.sh fuzzes with the same build.
# Usage: scripts/sanitize.sh   (after scripts/setup.sh has installed the packages)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset sanitize >/dev/null
cmake --build build-sanitize -j"$(nproc)" >/dev/null || cmake --build build-sanitize -j1
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The installed static library carries the sanitizer runtimes; the install
# test builds without them, so it runs in the plain build only.
(cd build-sanitize && ctest --output-on-failure -j2 -E install_find_package)
