# Cross-compiles Sentinel for armhf (32-bit ARMv7, hard float) kiosk boards with Debian's cross compiler
# (g++-arm-linux-gnueabihf) against a sysroot made by toolchain/sysroot.sh, and runs target binaries
# (CTest, gtest_discover_tests) under qemu-user. One command does it all: toolchain/cross.sh armhf.
#   Sysroot: -DSENTINEL_SYSROOT=DIR, else $SENTINEL_SYSROOT, else /work/sysroots/armhf.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(sentinel_triplet arm-linux-gnueabihf)
set(sentinel_qemu qemu-arm)
set(sentinel_deb_arch armhf)

include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
