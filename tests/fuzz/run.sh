#!/usr/bin/env bash
# Build every libFuzzer target with clang and run each for a bounded time on
# its committed seed corpus. For long runs: tests/fuzz/run.sh build-fuzz 3600
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build-fuzz} seconds=${2:-30}
case $build in /*) ;; *) build=$top/$build ;; esac
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DWS_BUILD_FUZZ=ON \
  -DWS_BUILD_TESTS=OFF -DWS_BUILD_EXAMPLES=OFF -DWS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
fail=0 passed=0
for t in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t"); name=${name#fuzz_}
  seeds=$top/tests/fuzz/corpus/$name
  work=$build/corpus/$name
  mkdir -p "$work"
  # New inputs go to a scratch corpus; the committed seeds are only read.
  if "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       "$work" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >"$build/$name.log" 2>&1; then
    echo "fuzz_$name: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$build/$name.log" | awk '{print $2}') runs)"
    passed=$((passed + 1))
  else
    echo "fuzz_$name: FAILED"; tail -50 "$build/$name.log"; fail=$((fail + 1))
  fi
done
echo "fuzz: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
