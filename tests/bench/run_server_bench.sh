#!/usr/bin/env bash
# Runs examples/chat_server and the Node ws@8 reference (node_chat_server.js)
# one after the other in the same run, with the same load (tests/bench/load.c,
# built as ws_load), and prints a comparison table.
#
# usage: tests/bench/run_server_bench.sh [BUILD_DIR]
#   BUILD_DIR  where chat_server and ws_load were built (default: ./build)
# Load parameters, from the environment:
#   CLIENTS=100 SENDERS=10 SIZE=64 DURATION=10 RATE=0 WINDOW=16 IDLE=10000 HOLD=5
#
# Each server is started fresh for each phase (idle connections, then
# throughput), so the memory measure starts from an untouched process and the
# throughput run does not inherit the idle run's heap.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
chat="$build/examples/chat_server"
load="$build/tests/bench/ws_load"
node=${WS_NODE:-$(command -v node || true)}
export NODE_PATH="$top/tests/node_modules"

CLIENTS=${CLIENTS:-100}
SENDERS=${SENDERS:-10}
SIZE=${SIZE:-64}
DURATION=${DURATION:-10}
RATE=${RATE:-0}
WINDOW=${WINDOW:-16}
IDLE=${IDLE:-10000}
HOLD=${HOLD:-5}

for f in "$chat" "$load"; do
  [ -x "$f" ] || { echo "missing $f: build the chat_server and ws_load targets first" >&2; exit 1; }
done
[ -n "$node" ] || { echo "node not found" >&2; exit 1; }

# Both ends need a descriptor per connection: the servers inherit this limit.
need=$((IDLE + CLIENTS + 256))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
  echo "ulimit -Hn is $hard, below the $need descriptors $IDLE idle connections need;" \
       "raise it or set IDLE lower" >&2
  exit 1
fi
ulimit -n "$need"
ports=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "? ?")
echo "descriptors: $(ulimit -n); ephemeral ports: $ports"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server NAME -> sets server_pid and server_port
start_server() {
  local name=$1 log="$tmp/$1.log"
  case $name in
    chat_server) "$chat" --host 127.0.0.1 --port 0 >"$log" 2>&1 & ;;
    node) "$node" "$top/tests/bench/node_chat_server.js" 0 >"$log" 2>&1 & ;;
  esac
  server_pid=$!
  server_port=""
  for _ in $(seq 1 100); do
    server_port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\).*/\1/p' "$log" | head -n1)
    [ -n "$server_port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# field NAME KEY -> the value of KEY in NAME's RESULT lines (last one wins)
field() {
  sed -n 's/^RESULT //p' "$tmp/$1.result" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -n1
}

for name in chat_server node; do
  : >"$tmp/$name.result"
  echo "== $name: $IDLE idle connections"
  start_server "$name"
  "$load" --url "ws://127.0.0.1:$server_port/" --idle "$IDLE" --hold "$HOLD" \
    --pid "$server_pid" --senders 0 --clients 0 | tee -a "$tmp/$name.result"
  stop_server
  echo "== $name: $CLIENTS clients, $SENDERS senders, $SIZE-byte messages, ${DURATION}s"
  start_server "$name"
  "$load" --url "ws://127.0.0.1:$server_port/" --clients "$CLIENTS" --senders "$SENDERS" \
    --size "$SIZE" --duration "$DURATION" --rate "$RATE" --window "$WINDOW" \
    | tee -a "$tmp/$name.result"
  stop_server
done

# The idle run's RESULT comes first, the throughput run's last; pick each
# value from the run that measured it.
idle_field() { sed -n 's/^RESULT //p' "$tmp/$1.result" | head -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

printf '\n%-34s %14s %14s %10s\n' "" "chat_server" "node ws@8" "ratio"
row() { # label chat node better(high|low)
  local r
  r=$(awk -v a="$2" -v b="$3" -v d="$4" 'BEGIN {
        if (a <= 0 || b <= 0) { print "n/a"; exit }
        printf "%.1fx", (d == "high") ? a / b : b / a }')
  printf '%-34s %14s %14s %10s\n' "$1" "$2" "$3" "$r"
}
row "delivered msg/s" "$(field chat_server delivered_per_s)" "$(field node delivered_per_s)" high
row "latency p50 (us)" "$(field chat_server p50_us)" "$(field node p50_us)" low
row "latency p99 (us)" "$(field chat_server p99_us)" "$(field node p99_us)" low
row "bytes per idle connection" "$(idle_field chat_server bytes_per_idle_conn)" \
  "$(idle_field node bytes_per_idle_conn)" low
for name in chat_server node; do
  held=$(idle_field "$name" idle_held)
  verdict=no; [ "$held" = "$IDLE" ] && verdict=yes
  printf '%-34s %s: %s of %s open after %ss (%s)\n' "$IDLE idle connections held" "$name" \
    "$held" "$IDLE" "$HOLD" "$verdict"
done
echo "ratio: how many times better chat_server is (higher msg/s; lower latency and memory)"
