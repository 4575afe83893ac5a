#!/usr/bin/env bash
# Cross-build libwsframe and its cmocka unit tests for another architecture
# and run them under qemu user-mode emulation, on an x86-64 machine:
#
#   aarch64  the only place the NEON paths (ws_mask_neon, ws_utf8_feed_neon and
#            the dispatch to them) are built and tested; char is unsigned, as
#            on every aarch64 Linux;
#   s390x    big-endian: every word-at-a-time trick (masking keys, the
#            portable UTF-8 runs) must mean the same bytes there;
#   i686     32-bit size_t and pointers (64-bit frame lengths that do not fit
#            must be refused, not truncated), and no SSE2 at compile time, so
#            the portable code is all there is.
#
# Called by .ci/run. On a fresh Debian 12 machine it first installs the cross
# gcc, qemu and the target's cmocka (with apt-get, through sudo when not root;
# the last adds the target architecture to dpkg).
#
#   tests/cross.sh                    aarch64, in ./build-aarch64, and run ctest
#   tests/cross.sh --sanitize         the same with ASan+UBSan, in ./build-aarch64-asan
#   tests/cross.sh --arch s390x       big-endian, in ./build-s390x
#   WS_BUILD_DIR=/tmp/b WS_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug" tests/cross.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { echo "usage: tests/cross.sh [--arch aarch64|s390x|i686] [--sanitize]" >&2; exit 2; }
sanitize=0 arch=aarch64
while [ $# -gt 0 ]; do
  case $1 in
    --sanitize) sanitize=1 ;;
    --arch) [ $# -ge 2 ] || usage; arch=$2; shift ;;
    *) usage ;;
  esac
  shift
done
# The GNU triple of the cross gcc, and Debian's name for the architecture.
case $arch in
  aarch64) triple=aarch64-linux-gnu debian_arch=arm64 qemu=qemu-aarch64 ;;
  s390x) triple=s390x-linux-gnu debian_arch=s390x qemu=qemu-s390x ;;
  i686) triple=i686-linux-gnu debian_arch=i386 qemu=qemu-i386 ;;
  *) usage ;;
esac
multiarch_dir=$(case $debian_arch in i386) echo i386-linux-gnu ;; *) echo "$triple" ;; esac)
build_args=(-DWS_SANITIZE=OFF)
default_build=$top/build-$arch
if [ "$sanitize" = 1 ]; then
  # The sanitizer runtimes linked statically: qemu-user maps memory at
  # addresses the shared runtime does not expect for its shadow, and
  # LeakSanitizer, which needs ptrace, cannot run under it (leaks are
  # checked on x86-64 by the ASan and valgrind stages).
  build_args=(-DWS_SANITIZE=ON "-DCMAKE_EXE_LINKER_FLAGS=-static-libasan -static-libubsan")
  default_build=$top/build-$arch-asan
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
  "gcc-$triple:/usr/bin/$triple-gcc"
  "libc6-dev-$debian_arch-cross:/usr/$triple/include/stdio.h"
  "qemu-user:/usr/bin/$qemu"
  "libcmocka-dev:$debian_arch:/usr/lib/$multiarch_dir/pkgconfig/cmocka.pc"
)
ws_install_missing tests/cross.sh "${packages[@]}"

# Only the library and the unit tests: examples and benchmarks are left out
# here, the integration tests and the install test by tests/CMakeLists.txt.
# shellcheck disable=SC2086 # WS_CMAKE_ARGS is a list of arguments
cmake -S "$top" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/$triple.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWS_BUILD_EXAMPLES=OFF -DWS_BUILD_BENCH=OFF \
  -DWS_BUILD_FUZZ=OFF "${build_args[@]}" ${WS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"

# The code meant for the target must really be in the library: a build that
# lost __ARM_NEON would quietly test the portable code twice, and a build
# that is not big-endian or not 32-bit would test nothing new.
# (Each stage captured first: grep -q quitting early would SIGPIPE the
# command before it, which pipefail turns into a spurious failure.)
disassembly=$("$triple-objdump" -d "$build/libwsframe.so")
# has FUNCTION INSTRUCTION-PATTERN: the function's body uses it.
has() {
  local body
  body=$(awk "/<$1>:/, /^\$/" <<<"$disassembly")
  if ! grep -q "$2" <<<"$body"; then
    echo "tests/cross.sh: no '$2' in $1 of $build/libwsframe.so" >&2
    exit 1
  fi
}
headers=$("$triple-readelf" -h "$build/libwsframe.so")
expect_header() {
  if ! grep -q "$1" <<<"$headers"; then
    echo "tests/cross.sh: $build/libwsframe.so is not '$1'" >&2
    exit 1
  fi
}
case $arch in
  aarch64)
    has ws_mask_neon 'eor[[:space:]]*v[0-9]*\.16b'
    # The UTF-8 block check's table lookups.
    has ws_utf8_feed_neon 'tbl[[:space:]]*v[0-9]*\.16b'
    ;;
  s390x) expect_header 'big endian' ;;
  i686) expect_header 'ELF32' ;;
esac

cd "$build"
# Each unit test has its own TIMEOUT (scaled for the emulator); the whole run
# is bounded too.
timeout 1200 ctest -L '^(unit|packaging)$' --output-on-failure --timeout 300 -j "$(nproc)"
