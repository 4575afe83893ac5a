# echo_server against Python websockets, Node ws and a raw-socket RFC client.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET echo_server)
  set(dir ${CMAKE_CURRENT_LIST_DIR}/echo)
  ws_add_python_interop(interop_echo_python SCRIPT ${dir}/echo_interop.py TIMEOUT 150
    LABELS echo ARGS python $<TARGET_FILE:echo_server>)
  if(WS_NODE)
    ws_add_python_interop(interop_echo_node SCRIPT ${dir}/echo_interop.py TIMEOUT 150
      LABELS echo ARGS node $<TARGET_FILE:echo_server> ${dir}/echo_client.js)
    ws_add_python_interop(interop_echo_load SCRIPT ${dir}/echo_interop.py TIMEOUT 120
      LABELS echo ARGS load $<TARGET_FILE:echo_server> ${dir}/echo_load.js)
  endif()
  ws_add_python_interop(interop_echo_protocol SCRIPT ${dir}/echo_protocol.py TIMEOUT 90
    LABELS echo ARGS $<TARGET_FILE:echo_server>)
endif()
