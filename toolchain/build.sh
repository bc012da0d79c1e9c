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
# ccache (installed by setup-host.sh) makes a rebuild in another clone of the same tree cheap: paths
# are hashed relative to the source folder, so CI's fresh clone reuses what a developer compiled.
launcher=()
if command -v ccache >/dev/null && [ "${SENTINEL_NO_CCACHE:-0}" != 1 ]; then
    export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@"
cmake --build "$build_dir" --parallel "$(nproc)" "${target[@]}"
