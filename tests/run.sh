#!/usr/bin/env bash
# Build libwsframe and run every test: the README's test command, and what
# .ci/run calls. On a fresh Debian 12 machine it first installs what the tests
# need (with apt-get, through sudo when not root), then the Node peers from the
# committed lockfile.
#
#   tests/run.sh                 build in ./build and run ctest
#   WS_BUILD_DIR=build-asan WS_CMAKE_ARGS="-DWS_SANITIZE=ON" tests/run.sh
#   WS_CTEST_ARGS="-L unit" tests/run.sh
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${WS_BUILD_DIR:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac

# shellcheck source=tests/packages.sh
. "$top/tests/packages.sh"

# Debian package -> a file that proves it is installed.
packages=(
  "build-essential:/usr/bin/gcc"
  "cmake:/usr/bin/cmake"
  "pkg-config:/usr/bin/pkg-config"
  "libcmocka-dev:/usr/include/cmocka.h"
  "clang:/usr/bin/clang"
  # Any architecture's fuzzer runtime will do.
  "libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a"
  "valgrind:/usr/bin/valgrind"
  "python3-websockets:/usr/lib/python3/dist-packages/websockets/__init__.py"
  # tests/check_python.py (ctest python_lint) over the test scripts.
  "python3-pyflakes:/usr/lib/python3/dist-packages/pyflakes/__init__.py"
  # More independent WebSocket peers for interop_peers (tests/interop/peers).
  "python3-aiohttp:/usr/lib/python3/dist-packages/aiohttp/__init__.py"
  "python3-tornado:/usr/lib/python3/dist-packages/tornado/__init__.py"
  "python3-websocket:/usr/lib/python3/dist-packages/websocket/__init__.py"
  "python3-wsproto:/usr/lib/python3/dist-packages/wsproto/__init__.py"
  "python3-autobahn:/usr/lib/python3/dist-packages/autobahn/__init__.py"
  # Go's gorilla/websocket and nhooyr.io/websocket, built offline, for interop_go.
  "golang-go:/usr/bin/go"
  "golang-github-gorilla-websocket-dev:/usr/share/gocode/src/github.com/gorilla/websocket/conn.go"
  "golang-nhooyr-websocket-dev:/usr/share/gocode/src/nhooyr.io/websocket/conn.go"
  "chromium:/usr/bin/chromium"
  # Gecko as a second, independent browser peer (interop_firefox, driven over
  # Marionette: Debian has no geckodriver).
  "firefox-esr:/usr/bin/firefox-esr"
  "libwslay-dev:/usr/include/wslay/wslay.h"
  "redis-server:/usr/bin/redis-server"
  "nginx:/usr/sbin/nginx"
  "libhiredis-dev:/usr/include/hiredis/hiredis.h"
  # wss:// in chat_client, and the openssl command its tests make certificates with.
  "libssl-dev:/usr/include/openssl/ssl.h"
  "openssl:/usr/bin/openssl"
  "procps:/usr/bin/ps"
  # Fonts only for the browser test's screenshot: CJK text and emoji render
  # as boxes without them.
  "fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
  "fonts-noto-color-emoji:/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
)
command -v node >/dev/null 2>&1 || packages+=("nodejs:/usr/bin/node")
command -v npm >/dev/null 2>&1 || packages+=("npm:/usr/bin/npm")

ws_install_missing tests/run.sh "${packages[@]}"

# Node peers (ws, undici, playwright-core) from the committed lockfile.
if [ ! -f "$top/tests/node_modules/.package-lock.json" ] ||
   ! cmp -s "$top/tests/package-lock.json" "$top/tests/node_modules/.ws-lock-copy" 2>/dev/null; then
  (cd "$top/tests" && npm ci --no-audit --no-fund)
  cp "$top/tests/package-lock.json" "$top/tests/node_modules/.ws-lock-copy"
fi

# Many tests open thousands of sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cmake -S "$top" -B "$build" ${WS_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
cd "$build"
rc=0
ctest --output-on-failure -j "$(nproc)" ${WS_CTEST_ARGS:-} 2>&1 | tee "$build/ctest.log" ||
  rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  echo "why each failed test failed (whole output above, and in $build/ctest.log):"
  bash "$top/tests/fail_digest.sh" "$build/ctest.log"
fi
exit "$rc"
