#!/usr/bin/env bash
# Cross-build libwsframe and its cmocka unit tests for aarch64 and run them
# under qemu user-mode emulation: the only place the NEON paths (ws_mask_neon,
# ws_utf8_feed_neon and the dispatch to them) are built and tested on an
# x86-64 machine; the rest of the library runs there too, with char unsigned
# as on every aarch64 Linux. Called by .ci/run. On a fresh Debian 12 machine it
# first installs the cross gcc, qemu and the arm64 cmocka (with apt-get,
# through sudo when not root; the last adds the arm64 architecture to dpkg).
#
#   tests/cross.sh                    build in ./build-aarch64 and run ctest
#   tests/cross.sh --sanitize         the same with ASan+UBSan, in ./build-aarch64-asan
#   WS_BUILD_DIR=/tmp/b WS_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug" tests/cross.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=0
case ${1:-} in
  --sanitize) sanitize=1 ;;
  "") ;;
  *) echo "usage: tests/cross.sh [--sanitize]" >&2; exit 2 ;;
esac
build_args=(-DWS_SANITIZE=OFF)
default_build=$top/build-aarch64
if [ "$sanitize" = 1 ]; then
  # The sanitizer runtimes linked statically: qemu-user maps memory at
  # addresses the shared runtime does not expect for its shadow, and
  # LeakSanitizer, which needs ptrace, cannot run under it (leaks are
  # checked on x86-64 by the ASan and valgrind stages).
  build_args=(-DWS_SANITIZE=ON "-DCMAKE_EXE_LINKER_FLAGS=-static-libasan -static-libubsan")
  default_build=$top/build-aarch64-asan
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
fi
build=${WS_BUILD_DIR:-$default_build}
case $build in /*) ;; *) build=$top/$build ;; esac

# shellcheck source=tests/packages.sh
. "$top/tests/packages.sh"

# Debian package -> a file that proves it is installed.
packages=(
  "cmake:/usr/bin/cmake"
  "pkg-config:/usr/bin/pkg-config"
  "gcc-aarch64-linux-gnu:/usr/bin/aarch64-linux-gnu-gcc"
  "libc6-dev-arm64-cross:/usr/aarch64-linux-gnu/include/stdio.h"
  "qemu-user:/usr/bin/qemu-aarch64"
  "libcmocka-dev:arm64:/usr/lib/aarch64-linux-gnu/pkgconfig/cmocka.pc"
)
ws_install_missing tests/cross.sh "${packages[@]}"

# Only the library and the unit tests: examples and benchmarks are left out
# here, the integration tests and the install test by tests/CMakeLists.txt.
# shellcheck disable=SC2086 # WS_CMAKE_ARGS is a list of arguments
cmake -S "$top" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWS_BUILD_EXAMPLES=OFF -DWS_BUILD_BENCH=OFF \
  -DWS_BUILD_FUZZ=OFF "${build_args[@]}" ${WS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"

# The NEON code must really be in the library: a build that lost __ARM_NEON
# would quietly test the portable code twice.
# (Each stage captured first: grep -q quitting early would SIGPIPE the
# command before it, which pipefail turns into a spurious failure.)
disassembly=$(aarch64-linux-gnu-objdump -d "$build/libwsframe.so")
# neon_has FUNCTION INSTRUCTION-PATTERN: the function's body uses it.
neon_has() {
  local body
  body=$(awk "/<$1>:/, /^\$/" <<<"$disassembly")
  if ! grep -q "$2" <<<"$body"; then
    echo "tests/cross.sh: no '$2' in $1 of $build/libwsframe.so" >&2
    exit 1
  fi
}
neon_has ws_mask_neon 'eor[[:space:]]*v[0-9]*\.16b'
# The UTF-8 block check's table lookups.
neon_has ws_utf8_feed_neon 'tbl[[:space:]]*v[0-9]*\.16b'

cd "$build"
# Each unit test has its own TIMEOUT (scaled for the emulator); the whole run
# is bounded too.
timeout 1200 ctest -L '^(unit|packaging)$' --output-on-failure --timeout 300 -j "$(nproc)"
