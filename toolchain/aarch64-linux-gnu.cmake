# Cross-compiles Sentinel for aarch64 kiosk boards with Debian's cross compiler
# (g++-aarch64-linux-gnu) against a sysroot made by toolchain/sysroot.sh, and runs target binaries
# (CTest, gtest_discover_tests) under qemu-user. One command does it all: toolchain/cross.sh aarch64.
#   Sysroot: -DSENTINEL_SYSROOT=DIR, else $SENTINEL_SYSROOT, else /work/sysroots/arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(sentinel_triplet aarch64-linux-gnu)
set(sentinel_qemu qemu-aarch64)
set(sentinel_deb_arch arm64)

include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
