# ws_add_python_interop(NAME SCRIPT TIMEOUT seconds [LABELS l...] ARGS a...)
# registers one Python-driven integration test. The scripts share
# wsharness.py (next to this file) and find Node's modules through NODE_PATH.
include_guard(GLOBAL)

set(WS_HARNESS_DIR ${CMAKE_CURRENT_LIST_DIR})

# Every integration test's TIMEOUT is multiplied by this. ctest's --timeout
# does not override a test's own TIMEOUT, so a run with our programs under
# valgrind (tests/valgrind.sh, WS_TEST_WRAPPER in wsharness.py) configures a
# larger factor.
set(WS_TEST_TIMEOUT_SCALE 1 CACHE STRING "Factor for the integration tests' ctest TIMEOUTs")

# ws_interop_timeout(OUT seconds): seconds times WS_TEST_TIMEOUT_SCALE.
function(ws_interop_timeout out seconds)
  math(EXPR scaled "${seconds} * ${WS_TEST_TIMEOUT_SCALE}")
  set(${out} ${scaled} PARENT_SCOPE)
endfunction()

function(ws_add_python_interop name)
  cmake_parse_arguments(arg "" "SCRIPT;TIMEOUT" "ARGS;LABELS" ${ARGN})
  if(NOT WS_PYTHON)
    message(STATUS "interop test ${name} skipped: no /usr/bin/python3")
    return()
  endif()
  add_test(NAME ${name} COMMAND ${WS_PYTHON} -u ${arg_SCRIPT} ${arg_ARGS})
  ws_interop_timeout(timeout ${arg_TIMEOUT})
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${timeout}
    LABELS "interop;${arg_LABELS}"
    ENVIRONMENT "PYTHONPATH=${WS_HARNESS_DIR};PYTHONDONTWRITEBYTECODE=1;WS_NODE=${WS_NODE};WS_NODE_MODULES=${WS_NODE_MODULES};WS_BINARY_DIR=${CMAKE_BINARY_DIR};WS_SANITIZED=$<BOOL:${WS_SANITIZE}>")
endfunction()
