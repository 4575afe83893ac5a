#!/usr/bin/env bash
# Install the build into a temporary prefix, then build an out-of-tree program
# against it twice: with pkg-config and with find_package(wsframe). Then build
# it a third time from a parent project that vendors the source tree with
# add_subdirectory(). All must compile, link and run.
set -euo pipefail
build=$1 src=$2 cc=${3:-cc} wsframe_src=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name wsframe.pc)")/..
libdir=$(cd "$libdir" && pwd)
test -f "$prefix/include/wsframe.h"
ls "$libdir"/libwsframe.so.* "$libdir"/libwsframe.a >/dev/null

echo "== pkg-config"
# The .pc file carries the prefix given at configure time; point pkg-config at
# the relocated one the way a packager's DESTDIR staging would.
sed "s|^prefix=.*|prefix=$prefix|; s|^libdir=.*|libdir=$libdir|; s|^includedir=.*|includedir=$prefix/include|" \
  "$libdir/pkgconfig/wsframe.pc" > "$tmp/wsframe.pc"
export PKG_CONFIG_PATH=$tmp
pkg-config --modversion wsframe
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/consumer_pc" "$src/main.c" $(pkg-config --cflags --libs wsframe)
LD_LIBRARY_PATH=$libdir "$tmp/consumer_pc"
# It really is the shared library that was linked.
# (ldd's output is captured first: grep -q quitting early would SIGPIPE ldd,
# which pipefail turns into a spurious failure.)
linked=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer_pc")
grep -q "$libdir/libwsframe.so" <<<"$linked"

echo "== find_package"
cmake -S "$src" -B "$tmp/consumer_build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --build "$tmp/consumer_build" >/dev/null
LD_LIBRARY_PATH=$libdir "$tmp/consumer_build/consumer"

if [ -n "$wsframe_src" ]; then
  echo "== add_subdirectory"
  cmake -S "$src/../subproject" -B "$tmp/parent_build" -DWSFRAME_SOURCE_DIR="$wsframe_src" \
    -DCMAKE_C_COMPILER="$cc" >/dev/null
  cmake --build "$tmp/parent_build" >/dev/null
  "$tmp/parent_build/consumer"
fi
echo "consumer test passed"
