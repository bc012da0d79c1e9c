# Shared part of the board toolchain files (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake),
# which set CMAKE_SYSTEM_PROCESSOR, sentinel_triplet, sentinel_qemu and sentinel_deb_arch first.
if(NOT SENTINEL_SYSROOT)
    if(DEFINED ENV{SENTINEL_SYSROOT})
        set(SENTINEL_SYSROOT "$ENV{SENTINEL_SYSROOT}")
    else()
        set(SENTINEL_SYSROOT "/work/sysroots/${sentinel_deb_arch}")
    endif()
endif()
# try_compile projects re-read this file in the same process: hand the choice on through the env.
set(ENV{SENTINEL_SYSROOT} "${SENTINEL_SYSROOT}")
if(NOT EXISTS "${SENTINEL_SYSROOT}/usr/include/${sentinel_triplet}")
    message(FATAL_ERROR "No ${sentinel_triplet} sysroot at ${SENTINEL_SYSROOT}: run toolchain/sysroot.sh first")
endif()

set(CMAKE_C_COMPILER ${sentinel_triplet}-gcc)
set(CMAKE_CXX_COMPILER ${sentinel_triplet}-g++)
set(CMAKE_SYSROOT "${SENTINEL_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE ${sentinel_triplet})
set(CMAKE_FIND_ROOT_PATH "${SENTINEL_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (libgpiod, libsystemd) reads the target's .pc files only, with paths into the sysroot.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${SENTINEL_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${SENTINEL_SYSROOT}/usr/lib/${sentinel_triplet}/pkgconfig:${SENTINEL_SYSROOT}/usr/lib/pkgconfig:${SENTINEL_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Target binaries run under qemu-user with the sysroot as their root for the loader and libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR "/usr/bin/${sentinel_qemu};-L;${SENTINEL_SYSROOT}")
