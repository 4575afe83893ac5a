# Cross-compile for s390x Linux (big-endian); see cross-linux-gnu.cmake.
#
#   cmake -S . -B build-s390x -DCMAKE_TOOLCHAIN_FILE=cmake/s390x-linux-gnu.cmake
set(WS_CROSS_PROCESSOR s390x)
set(WS_CROSS_TRIPLE s390x-linux-gnu)
set(WS_CROSS_MULTIARCH s390x-linux-gnu)
set(WS_CROSS_QEMU qemu-s390x)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
