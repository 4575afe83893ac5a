# The opening handshake against independent peers: a tiny blocking test
# server and client built on libwsframe (tests/interop/handshake/*.c) meet
# Python websockets and Node ws clients and servers on 127.0.0.1.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

set(ws_hs_dir ${CMAKE_CURRENT_LIST_DIR}/handshake)
add_executable(ws_interop_hs_server ${ws_hs_dir}/hs_server.c)
target_link_libraries(ws_interop_hs_server PRIVATE wsframe_static)
add_executable(ws_interop_hs_client ${ws_hs_dir}/hs_client.c)
target_link_libraries(ws_interop_hs_client PRIVATE wsframe_static)

set(ws_hs_modes server-python client-python)
if(WS_NODE)
  list(APPEND ws_hs_modes server-node client-node)
endif()
ws_interop_timeout(ws_hs_timeout 60)
if(WS_PYTHON)
  foreach(mode ${ws_hs_modes})
    add_test(NAME interop_handshake_${mode}
      COMMAND ${WS_PYTHON} -u ${ws_hs_dir}/handshake_interop.py ${mode}
              $<TARGET_FILE:ws_interop_hs_server> $<TARGET_FILE:ws_interop_hs_client>)
    set_tests_properties(interop_handshake_${mode} PROPERTIES
      TIMEOUT ${ws_hs_timeout}
      LABELS "interop;handshake"
      ENVIRONMENT "PYTHONPATH=${CMAKE_CURRENT_LIST_DIR}/echo;WS_NODE=${WS_NODE};WS_NODE_MODULES=${WS_NODE_MODULES};PYTHONDONTWRITEBYTECODE=1")
  endforeach()
endif()
