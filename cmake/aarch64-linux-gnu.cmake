# Cross-compile for aarch64 Linux with Debian's cross gcc and run what is built
# (try_run, ctest) under qemu user-mode emulation, so the NEON paths are built
# and tested on an x86-64 machine. tests/cross.sh installs what this needs:
# gcc-aarch64-linux-gnu, qemu-user and, as a Debian multiarch package,
# libcmocka-dev:arm64 (which brings the arm64 libc6 to /lib/aarch64-linux-gnu).
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
# clang works too: -DCMAKE_C_COMPILER=clang (the target below is passed as
# --target, and clang finds the cross gcc's headers, libraries and linker).
if(NOT DEFINED CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
endif()
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# The programs need the arm64 cmocka from /usr/lib/aarch64-linux-gnu, next to
# the multiarch libc6:arm64 in /lib/aarch64-linux-gnu. With
# -L /usr/aarch64-linux-gnu qemu would start the cross toolchain's loader
# (glibc 2.36-8cross1 on Debian 12), which then loads that multiarch libc.so.6
# (2.36-9+deb12u*): a loader paired with another build's libc, which works
# only while the two happen to agree. -L / runs the multiarch loader the
# binaries name (/lib/ld-linux-aarch64.so.1) with its own libc.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /)

# Headers and libraries of the multiarch packages live in the ordinary root
# (/usr/include, /usr/lib/aarch64-linux-gnu), where the cross gcc already
# looks; pkg-config must read only the arm64 .pc files.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
