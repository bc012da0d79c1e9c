#!/usr/bin/env bash
# Sets up the host, builds everything with warnings as errors, runs the whole test suite, then
#   - builds the tests under AddressSanitizer + UndefinedBehaviorSanitizer and runs the `unit` and
#     `fuzz-corpus` labels there;
#   - builds the concurrent tests under ThreadSanitizer and runs the `concurrent` label there.
# Labels not run here: soak, fuzz-long (see docs/testing.md). SENTINEL_SKIP_SANITIZE=1 skips both
# sanitizer passes (local use only; CI runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
toolchain/setup-host.sh
source toolchain/sanitizers.sh

jobs=$(nproc)
# The build folders and the compiler cache take about NEED_GB at their peak (measured in
# docs/testing.md); say so up front rather than failing in a link step half an hour in.
free_gb=$(df -Pk . | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gb" -lt "${NEED_GB:=10}" ]; then
    echo "warning: $free_gb GB free here; the builds and tests need about $NEED_GB GB" >&2
fi
echo "== build (warnings as errors)"
BUILD_DIR=build toolchain/build.sh -DSENTINEL_WERROR=ON
echo "== tests"
ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 600 -LE 'soak|fuzz-long'

if [ "${SENTINEL_SKIP_SANITIZE:-0}" != 1 ]; then
    echo "== build (ASan + UBSan)"
    build_asan
    echo "== unit tests under ASan + UBSan"
    run_asan --timeout 900 -L 'unit|fuzz-corpus'
    # A CI machine's disk is what is left of it: the ASan folder goes before the TSan one is built.
    if [ "${CI:-}" = true ]; then rm -rf build-asan; fi
    echo "== build (ThreadSanitizer): the concurrent tests"
    build_tsan
    echo "== concurrent tests under ThreadSanitizer"
    run_tsan --timeout 900
fi
