#!/usr/bin/env bash
# The library must allocate nothing and do no I/O: the shared library may only
# import symbols from an allow-list (memory primitives and compiler runtime),
# and must export only ws_* symbols.
set -euo pipefail
lib=$1
undefined=$(nm -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
allowed='^(memcpy|memmove|memset|memcmp|bcmp|memchr|strlen|strnlen|strcmp|strncmp|strchr|__stack_chk_fail|__cxa_finalize|__cpu_model|__cpu_indicator_init|__gmon_start__|_ITM_.*|__assert_fail)$'
echo "imported: $(echo $undefined)"
bad=$(echo "$undefined" | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
  echo "FAIL: the library imports symbols outside the allow-list:" $bad
  exit 1
fi
for f in malloc calloc realloc free read write send recv socket open fopen; do
  if echo "$undefined" | grep -qx "$f"; then echo "FAIL: imports $f"; exit 1; fi
done
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRB]$/ {print $3}' | sort -u)
echo "exported: $(echo "$exported" | wc -l) symbols"
notours=$(echo "$exported" | grep -Ev '^ws_' || true)
if [ -n "$notours" ]; then
  echo "FAIL: exported symbols without the ws_ prefix (visibility leak):" $notours
  exit 1
fi
echo "symbol check passed"
