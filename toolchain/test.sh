#!/usr/bin/env bash
# Sets up the host, builds everything with warnings as errors, runs the whole test suite, then
# builds the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer and runs them.
# Labels not run here: soak, fuzz-long (see docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
toolchain/setup-host.sh

jobs=$(nproc)
echo "== build (warnings as errors)"
BUILD_DIR=build toolchain/build.sh -DSENTINEL_WERROR=ON
echo "== tests"
ctest --test-dir build --output-on-failure --parallel "$jobs" --timeout 600 -LE 'soak|fuzz-long'

if [ "${SENTINEL_SKIP_SANITIZE:-0}" != 1 ]; then
    echo "== build (ASan + UBSan)"
    BUILD_DIR=build-asan BUILD_TYPE=Debug toolchain/build.sh -DSENTINEL_WERROR=ON -DSENTINEL_SANITIZE=ON
    echo "== unit tests under ASan + UBSan"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure --parallel "$jobs" --timeout 900 -L 'unit|fuzz-corpus'
fi
