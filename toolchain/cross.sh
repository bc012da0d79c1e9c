#!/usr/bin/env bash
# Builds the firmware for a kiosk board and runs its unit tests under qemu-user, from scratch:
#   toolchain/cross.sh aarch64|armhf
# 1. installs the host packages it needs (cross g++, qemu-user, cmake, ninja…), skipping present ones;
# 2. assembles the target sysroot with toolchain/sysroot.sh (default /work/sysroots/ARCH, outside
#    the repository; SENTINEL_SYSROOTS=DIR moves it);
# 3. configures build-ARCH with toolchain/<triplet>.cmake and builds `sentinel` and the unit-test
#    binaries only (SENTINEL_CROSS_JOBS parallel jobs, default 2, under nice);
# 4. runs `ctest -L unit` with every test binary under qemu (CMAKE_CROSSCOMPILING_EMULATOR).
# Not part of CI (.ci/run → toolchain/test.sh stays host-only): this takes a long time.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    aarch64 | arm64) arch=aarch64 deb_arch=arm64 triplet=aarch64-linux-gnu ;;
    armhf | arm) arch=armhf deb_arch=armhf triplet=arm-linux-gnueabihf ;;
    *) echo "usage: $0 aarch64|armhf" >&2; exit 2 ;;
esac
sysroot=${SENTINEL_SYSROOTS:-/work/sysroots}/$deb_arch
build_dir=build-$arch
jobs=${SENTINEL_CROSS_JOBS:-2}
start=$(date +%s)
step() { echo "== cross $arch: $* ($(($(date +%s) - start)) s)"; }

step "host packages"
packages=(cmake ninja-build pkg-config file ca-certificates "g++-$triplet" "binutils-$triplet" qemu-user)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "cross: missing ${missing[*]}; run as root" >&2; exit 2; }
    echo "cross: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

step "sysroot $sysroot"
toolchain/sysroot.sh "$arch" "$sysroot"

step "configure $build_dir"
generator=()
if [ ! -f "$build_dir/Makefile" ]; then generator=(-G Ninja); fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_TOOLCHAIN_FILE="toolchain/$triplet.cmake" \
    -DSENTINEL_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${@:2}"

step "build sentinel + unit tests"
nice -n 10 cmake --build "$build_dir" --parallel "$jobs" --target sentinel sentinel_unit_tests
file "$build_dir/firmware/app/sentinel"

step "unit tests under qemu"
ctest --test-dir "$build_dir" -L unit --output-on-failure --parallel "$jobs" --timeout 900
step "done"
