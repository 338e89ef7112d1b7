#!/usr/bin/env bash
# Builds everything with clang, AddressSanitizer, UndefinedBehaviorSanitizer
# and libFuzzer's coverage, without threads (as WebAssembly will run the
# core), into build-sanitize/ (CMake preset "sanitize"), and runs every C++
# test there: core, edges, the CLI tests against the sanitized tool, the
# kernels on both paths (but the gigabyte and install tests: test preset
# "sanitize"). Any report stops the program that made it, and so
# fails its test. fuzz/run.sh fuzzes with the same build.
# Usage: scripts/sanitize.sh   (after scripts/setup.sh has installed the packages)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/configure.sh sanitize
cmake --build build-sanitize -j"$(nproc)" >build-sanitize/build.log 2>&1 || { tail -n 40 build-sanitize/build.log; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The test preset "sanitize" leaves out the install test (the installed
# static library carries the sanitizer runtimes; the consumer is built
# without them) and the tests labelled big (gigabytes under prlimit, which
# ASan's shadow memory cannot run in): both run in the plain build.
ctest --preset sanitize -j"$(nproc)"
