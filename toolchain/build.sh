#!/usr/bin/env bash
# Configures and builds into BUILD_DIR (default: build).
#   toolchain/build.sh [--target T] [cmake options…]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
target=()
if [ "${1:-}" = "--target" ]; then
    read -r -a names <<< "$2"
    target=(--target "${names[@]}")
    shift 2
fi
generator=()
if command -v ninja >/dev/null && [ ! -f "$build_dir/Makefile" ]; then generator=(-G Ninja); fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@"
cmake --build "$build_dir" --parallel "$(nproc)" "${target[@]}"
