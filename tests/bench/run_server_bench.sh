#!/usr/bin/env bash
# Runs examples/chat_server and the Node ws@8 reference (node_chat_server.js)
# one after the other in the same run, with the same load (tests/bench/load.c,
# built as ws_load), and prints a comparison table.
#
# usage: tests/bench/run_server_bench.sh [BUILD_DIR]
#   BUILD_DIR  where chat_server and ws_load were built (default: ./build)
# Load parameters, from the environment:
#   CLIENTS=100 SENDERS=10 SIZE=64 DURATION=10 WINDOW=16 RATE=20 IDLE=10000 HOLD=5
#   SOURCES=K (127.0.0.1..K as source addresses; default: one per 25,000 connections)
#
# Three runs per server, each against a freshly started process (so the
# memory measure starts from an untouched heap):
#   idle  IDLE connections: server VmRSS per connection, and whether all stay open;
#   max   SENDERS of CLIENTS send SIZE-byte messages as fast as a window of
#         WINDOW unanswered messages each allows: delivered msg/s, and the
#         server's CPU seconds (both ends share this machine's cores);
#   rate  the same at RATE messages/s per sender, well below either server's
#         capacity: latency without queueing.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
chat="$build/examples/chat_server"
load="$build/tests/bench/ws_load"
node=${WS_NODE:-$(command -v node || true)}
# The repository's own ws@8 first (npm ci in tests/), then whatever the
# caller's NODE_PATH has.
export NODE_PATH="$top/tests/node_modules${NODE_PATH:+:$NODE_PATH}"

CLIENTS=${CLIENTS:-100}
SENDERS=${SENDERS:-10}
SIZE=${SIZE:-64}
DURATION=${DURATION:-10}
RATE=${RATE:-20}
WINDOW=${WINDOW:-16}
IDLE=${IDLE:-10000}
HOLD=${HOLD:-5}
# One source address has ~28,000 ephemeral ports towards the server's port.
SOURCES=${SOURCES:-$(( (IDLE + CLIENTS) / 25000 + 1 ))}

for f in "$chat" "$load"; do
  [ -x "$f" ] || { echo "missing $f: build the chat_server and ws_load targets first" >&2; exit 1; }
done
[ -n "$node" ] || { echo "node not found" >&2; exit 1; }
# Before the chat_server phases, not after them: their results would be lost.
"$node" -e "require('ws')" 2>/dev/null || {
  echo "Node's ws module not found: run 'npm ci --prefix $top/tests' (or set NODE_PATH)" >&2
  exit 1
}

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
echo "load average at start: $(cat /proc/loadavg)"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server NAME PHASE -> sets server_pid and server_port
start_server() {
  local name=$1 log="$tmp/$1.$2.log"
  # A fresh file per run: the child truncates its log only once it runs, and
  # reading the previous run's "listening on" line would give a stale port.
  : >"$log"
  case $name in
    # Its default cap is 10,000 clients (more get HTTP 503): lift it for
    # the idle phase and the load clients; Node's server has no cap.
    chat_server) "$chat" --host 127.0.0.1 --port 0 --max-clients $((IDLE + CLIENTS + 100)) \
                   >"$log" 2>&1 & ;;
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

# run_load NAME PHASE ARGS... -> ws_load against a fresh NAME server; its
# RESULT line is kept as $tmp/NAME.PHASE
run_load() {
  local name=$1 phase=$2
  shift 2
  start_server "$name" "$phase"
  "$load" --url "ws://127.0.0.1:$server_port/" --pid "$server_pid" "$@" | tee "$tmp/$name.$phase.out"
  sed -n 's/^RESULT //p' "$tmp/$name.$phase.out" | tail -n1 >"$tmp/$name.$phase"
  stop_server
}

for name in chat_server node; do
  echo "== $name: $IDLE idle connections"
  run_load "$name" idle --idle "$IDLE" --hold "$HOLD" --senders 0 --clients 0 --sources "$SOURCES"
  echo "== $name: $CLIENTS clients, $SENDERS senders, $SIZE-byte messages, ${DURATION}s," \
       "as fast as a window of $WINDOW per sender allows"
  run_load "$name" max --clients "$CLIENTS" --senders "$SENDERS" --size "$SIZE" \
    --duration "$DURATION" --rate 0 --window "$WINDOW"
  echo "== $name: the same at a fixed $RATE messages/s per sender (latency)"
  run_load "$name" rate --clients "$CLIENTS" --senders "$SENDERS" --size "$SIZE" \
    --duration "$DURATION" --rate "$RATE"
done

# field NAME PHASE KEY -> KEY's value in that run's RESULT line
field() { tr ' ' '\n' <"$tmp/$1.$2" | sed -n "s/^$3=//p"; }
per_cpu() { # deliveries per server CPU second
  awk -v d="$(field "$1" max delivered)" -v c="$(field "$1" max server_cpu_s)" \
    'BEGIN { if (c > 0) printf "%.0f", d / c; else print "n/a" }'
}

printf '\n%-40s %14s %14s %10s\n' "" "chat_server" "node ws@8" "ratio"
row() { # label chat node better(high|low|none)
  local r
  r=$(awk -v a="$2" -v b="$3" -v d="$4" 'BEGIN {
        if (d == "none") { print "-"; exit }
        if (a + 0 <= 0 || b + 0 <= 0) { print "n/a"; exit }
        printf "%.1fx", (d == "high") ? a / b : b / a }')
  printf '%-40s %14s %14s %10s\n' "$1" "$2" "$3" "$r"
}
row "delivered msg/s, as fast as possible" "$(field chat_server max delivered_per_s)" \
  "$(field node max delivered_per_s)" high
row "  server CPU seconds in ${DURATION}s" "$(field chat_server max server_cpu_s)" \
  "$(field node max server_cpu_s)" none
row "  ws_load CPU seconds in ${DURATION}s" "$(field chat_server max load_cpu_s)" \
  "$(field node max load_cpu_s)" none
row "  deliveries per server CPU second" "$(per_cpu chat_server)" "$(per_cpu node)" high
row "  latency p50 (us)" "$(field chat_server max p50_us)" "$(field node max p50_us)" low
row "  latency p99 (us)" "$(field chat_server max p99_us)" "$(field node max p99_us)" low
row "delivered msg/s at $RATE msg/s per sender" "$(field chat_server rate delivered_per_s)" \
  "$(field node rate delivered_per_s)" high
row "  latency p50 (us)" "$(field chat_server rate p50_us)" "$(field node rate p50_us)" low
row "  latency p99 (us)" "$(field chat_server rate p99_us)" "$(field node rate p99_us)" low
row "server bytes per idle connection" "$(field chat_server idle bytes_per_idle_conn)" \
  "$(field node idle bytes_per_idle_conn)" low
for name in chat_server node; do
  held=$(field "$name" idle idle_held)
  verdict=no; [ "$held" = "$IDLE" ] && verdict=yes
  printf '%-40s %s: %s of %s open after %ss (%s)\n' "$IDLE idle connections held" "$name" \
    "$held" "$IDLE" "$HOLD" "$verdict"
done
for name in chat_server node; do
  for phase in idle max rate; do
    failed=$(( $(field "$name" "$phase" connect_failed) + $(field "$name" "$phase" handshake_failed) \
              + $(field "$name" "$phase" protocol_errors) + $(field "$name" "$phase" closed_by_server) ))
    [ "$failed" -eq 0 ] || echo "WARNING: $name $phase run: $failed connections failed or were closed" \
                                "(see its RESULT line above); its numbers are not comparable"
  done
done
echo "ratio: how many times better chat_server is (higher msg/s; lower latency and memory);"
echo "CPU seconds are how much of the shared cores each process got, not a score"
echo "load average at end: $(cat /proc/loadavg)"
