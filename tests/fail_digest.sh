#!/usr/bin/env bash
# The failing checks of a ctest --output-on-failure log, a few lines per
# failed test, for the end of a CI log: a CI viewer that keeps only the
# last lines then still shows why each test failed, not only its name.
#
#   tests/fail_digest.sh LOG
set -uo pipefail
awk '
  /^ *[0-9]+\/[0-9]+ Test +#[0-9]+:/ {
    failed = ($0 ~ /\*\*\*|Failed|Not Run/)
    shown = 0
    if (failed) print "--- " $0
    next
  }
  /^[0-9]+% tests passed/ { failed = 0 }
  failed && shown < 12 && /FAIL|Error|error:|Traceback|Timeout|timed out|==[0-9]+==/ {
    print "    " $0; shown++
  }
' "$1"
