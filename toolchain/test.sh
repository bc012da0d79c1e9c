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
echo "== build (warnings as errors)"
BUILD_DIR=build toolchain/build.sh -DSENTINEL_WERROR=ON
echo "== tests"
ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 600 -LE 'soak|fuzz-long'

if [ "${SENTINEL_SKIP_SANITIZE:-0}" != 1 ]; then
    echo "== build (ASan + UBSan)"
    build_asan
    echo "== unit tests under ASan + UBSan"
    run_asan --timeout 900 -L 'unit|fuzz-corpus'
    echo "== build (ThreadSanitizer): the concurrent tests"
    build_tsan
    echo "== concurrent tests under ThreadSanitizer"
    run_tsan --timeout 900
fi
