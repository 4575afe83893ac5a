# The Autobahn table (tests/autobahn_cases.h) replayed over TCP against
# echo_server and graded the way Autobahn's fuzzingclient grades it: echoes,
# pongs, fail-fast close codes, the echo of the client's close, and the server
# closing TCP. See docs/conformance.md.
if(TARGET echo_server)
  add_executable(ab_replay ${CMAKE_CURRENT_LIST_DIR}/autobahn/ab_replay.c)
  target_link_libraries(ab_replay PRIVATE wsframe_static)
  target_include_directories(ab_replay PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME interop_autobahn_echo COMMAND ab_replay $<TARGET_FILE:echo_server>)
  set_tests_properties(interop_autobahn_echo PROPERTIES TIMEOUT 240 LABELS "interop;autobahn")
endif()
