# Shared by the cross toolchain files (aarch64-, s390x- and i686-linux-gnu.cmake),
# which set WS_CROSS_PROCESSOR, WS_CROSS_TRIPLE (the cross gcc's prefix),
# WS_CROSS_MULTIARCH (Debian's multiarch directory) and WS_CROSS_QEMU.
# Debian's cross gcc builds, and what is built (try_run, ctest) runs under
# qemu user-mode emulation. tests/cross.sh installs what this needs:
# gcc-<triple>, qemu-user and, as a Debian multiarch package,
# libcmocka-dev:<arch> (which brings the target's libc6 to /lib/<multiarch>).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${WS_CROSS_PROCESSOR})
# clang works too: -DCMAKE_C_COMPILER=clang (the target below is passed as
# --target, and clang finds the cross gcc's headers, libraries and linker).
if(NOT DEFINED CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${WS_CROSS_TRIPLE}-gcc)
endif()
set(CMAKE_C_COMPILER_TARGET ${WS_CROSS_TRIPLE})
set(CMAKE_LIBRARY_ARCHITECTURE ${WS_CROSS_MULTIARCH})

# The programs need the target's cmocka from /usr/lib/<multiarch>, next to
# the multiarch libc6 in /lib/<multiarch>. With -L /usr/<triple> qemu would
# start the cross toolchain's loader (glibc 2.36-8cross1 on Debian 12), which
# then loads that multiarch libc.so.6 (2.36-9+deb12u*): a loader paired with
# another build's libc, which works only while the two happen to agree. -L /
# runs the multiarch loader the binaries name with its own libc.
set(CMAKE_CROSSCOMPILING_EMULATOR ${WS_CROSS_QEMU} -L /)

# Headers and libraries of the multiarch packages live in the ordinary root
# (/usr/include, /usr/lib/<multiarch>), where the cross gcc already looks;
# pkg-config must read only the target's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${WS_CROSS_MULTIARCH}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
