# echo_server, chat_server and chat_client against the other Python
# WebSocket implementations Debian 12 packages (aiohttp, tornado,
# websocket-client, wsproto, autobahn; tests/run.sh installs them): one
# ctest, see tests/interop/peers/peers.py.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET echo_server AND TARGET chat_server AND TARGET chat_client)
  # About 6 s; the margin is for loaded machines and sanitizer builds.
  ws_add_python_interop(interop_peers SCRIPT ${CMAKE_CURRENT_LIST_DIR}/peers/peers.py TIMEOUT 90
    LABELS peers ARGS $<TARGET_FILE:echo_server> $<TARGET_FILE:chat_server> $<TARGET_FILE:chat_client>)
endif()

# undici's WebSocket (Node's global WebSocket from Node 22 on), from
# tests/node_modules, as a client of echo_server and chat_server.
if(TARGET echo_server AND TARGET chat_server AND WS_NODE)
  # About 5 s; the margin is for loaded machines and sanitizer builds.
  ws_add_python_interop(interop_undici SCRIPT ${CMAKE_CURRENT_LIST_DIR}/peers/undici_interop.py TIMEOUT 150
    LABELS peers ARGS $<TARGET_FILE:echo_server> $<TARGET_FILE:chat_server>
    ${CMAKE_CURRENT_LIST_DIR}/peers/undici_client.js)
endif()
