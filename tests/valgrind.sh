#!/usr/bin/env bash
# Run every unit test binary of a build under valgrind memcheck: any error or
# leak fails.
set -euo pipefail
build=${1:-build}
fail=0 passed=0
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
       --errors-for-leak-kinds=definite,indirect "$t" >"$t.valgrind.log" 2>&1; then
    passed=$((passed + 1))
  else
    echo "valgrind: $(basename "$t") FAILED"; tail -40 "$t.valgrind.log"; fail=$((fail + 1))
  fi
done
echo "valgrind: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
