# Cross-compile for 32-bit x86 Linux (32-bit size_t; Debian's i686 baseline
# has no SSE2, so only the portable code is built); see cross-linux-gnu.cmake.
#
#   cmake -S . -B build-i686 -DCMAKE_TOOLCHAIN_FILE=cmake/i686-linux-gnu.cmake
set(WS_CROSS_PROCESSOR i686)
set(WS_CROSS_TRIPLE i686-linux-gnu)
set(WS_CROSS_MULTIARCH i386-linux-gnu)
set(WS_CROSS_QEMU qemu-i386)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
