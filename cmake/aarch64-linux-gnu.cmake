# Cross-compile for aarch64 Linux (the NEON paths); see cross-linux-gnu.cmake.
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(WS_CROSS_PROCESSOR aarch64)
set(WS_CROSS_TRIPLE aarch64-linux-gnu)
set(WS_CROSS_MULTIARCH aarch64-linux-gnu)
set(WS_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
