# The Autobahn table (tests/autobahn_cases.h) replayed over TCP against
# echo_server and graded the way Autobahn's fuzzingclient grades it: echoes,
# pongs, fail-fast close codes, the echo of the client's close, and the server
# closing TCP. See docs/conformance.md.
# ab_replay runs under WS_TEST_WRAPPER when it is set (tests/valgrind.sh), and
# starts echo_server under it too.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET echo_server)
  add_executable(ab_replay ${CMAKE_CURRENT_LIST_DIR}/autobahn/ab_replay.c)
  target_link_libraries(ab_replay PRIVATE wsframe_static)
  target_include_directories(ab_replay PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME interop_autobahn_echo
    COMMAND sh -c "exec \${WS_TEST_WRAPPER} \"\$@\"" ab_replay
            $<TARGET_FILE:ab_replay> $<TARGET_FILE:echo_server>)
  ws_interop_timeout(ws_ab_timeout 240)
  set_tests_properties(interop_autobahn_echo PROPERTIES TIMEOUT ${ws_ab_timeout} LABELS "interop;autobahn")
endif()

# Autobahn's section 9 (big messages, many fragments, TCP chops, 1000 round
# trips) over TCP against echo_server with its default limits.
if(TARGET echo_server)
  ws_add_python_interop(interop_autobahn9_echo SCRIPT ${CMAKE_CURRENT_LIST_DIR}/autobahn/ab_section9.py
    TIMEOUT 300 LABELS autobahn ARGS $<TARGET_FILE:echo_server>)
endif()
