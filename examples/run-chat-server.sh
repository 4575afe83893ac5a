#!/usr/bin/env bash
# Build and run the chat server on a fresh Debian 12 machine: installs a C
# compiler and CMake when they are missing (through sudo when not root), builds
# chat_server in ./build-run (or $WS_BUILD_DIR), then runs it with the
# arguments given (default port 8080; --help lists the flags).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/packages.sh
. "$top/tests/packages.sh"
ws_install_missing examples/run-chat-server.sh "build-essential:/usr/bin/cc" "cmake:/usr/bin/cmake"
build=${WS_BUILD_DIR:-$top/build-run}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWS_BUILD_TESTS=OFF -DWS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target chat_server >/dev/null
exec "$build/examples/chat_server" "$@"
