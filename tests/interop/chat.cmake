# chat_server with Python websockets, Node ws and chat_client as peers,
# its HTTP side, options, misbehaving clients and shutdown.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET chat_server)
  set(dir ${CMAKE_CURRENT_LIST_DIR}/chat)
  if(TARGET chat_client AND WS_NODE)
    ws_add_python_interop(interop_chat_clients SCRIPT ${dir}/chat_clients.py TIMEOUT 120
      LABELS chat ARGS $<TARGET_FILE:chat_server> $<TARGET_FILE:chat_client> ${dir}/chat_node_client.js)
  endif()
  if(TARGET echo_server)
    ws_add_python_interop(interop_chat_args SCRIPT ${dir}/chat_args.py TIMEOUT 60
      LABELS chat ARGS $<TARGET_FILE:chat_server> $<TARGET_FILE:echo_server>)
  endif()
  ws_add_python_interop(interop_chat_http SCRIPT ${dir}/chat_http.py TIMEOUT 90
    LABELS chat ARGS $<TARGET_FILE:chat_server>)
  ws_add_python_interop(interop_chat_slow_consumer SCRIPT ${dir}/chat_resilience.py TIMEOUT 150
    LABELS chat ARGS $<TARGET_FILE:chat_server> slow)
  ws_add_python_interop(interop_chat_churn SCRIPT ${dir}/chat_resilience.py TIMEOUT 120
    LABELS chat ARGS $<TARGET_FILE:chat_server> churn)
  ws_add_python_interop(interop_chat_close_guard SCRIPT ${dir}/chat_close_guard.py TIMEOUT 60
    LABELS chat ARGS $<TARGET_FILE:chat_server>)
  ws_add_python_interop(interop_chat_burst SCRIPT ${dir}/chat_resilience.py TIMEOUT 150
    LABELS chat ARGS $<TARGET_FILE:chat_server> burst)
  ws_add_python_interop(interop_chat_steady_reader SCRIPT ${dir}/chat_resilience.py TIMEOUT 120
    LABELS chat ARGS $<TARGET_FILE:chat_server> steady)
  if(WS_NODE)
    ws_add_python_interop(interop_chat_fanout SCRIPT ${dir}/chat_fanout.py TIMEOUT 120
      LABELS chat ARGS $<TARGET_FILE:chat_server> ${dir}/chat_fanout.js)
    ws_add_python_interop(interop_chat_shutdown SCRIPT ${dir}/chat_shutdown.py TIMEOUT 90
      LABELS chat ARGS $<TARGET_FILE:chat_server> ${dir}/chat_node_client.js)
  endif()
endif()
