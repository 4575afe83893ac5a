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

# Go's gorilla/websocket and nhooyr.io/websocket, from Debian's packages, as
# clients of echo_server and chat_server and as servers for chat_client.
# go_peer.go is built offline in GOPATH mode: Debian installs the sources
# under /usr/share/gocode, and a module build would want the network.
find_program(WS_GO NAMES go PATHS /usr/lib/go/bin)
find_path(WS_GO_SRC NAMES github.com/gorilla/websocket/conn.go PATHS /usr/share/gocode/src NO_DEFAULT_PATH)
find_path(WS_GO_NHOOYR_SRC NAMES nhooyr.io/websocket/conn.go PATHS /usr/share/gocode/src NO_DEFAULT_PATH)
if(TARGET echo_server AND TARGET chat_server AND TARGET chat_client AND WS_GO AND WS_GO_SRC
   AND WS_GO_NHOOYR_SRC STREQUAL WS_GO_SRC)
  get_filename_component(gopath ${WS_GO_SRC} DIRECTORY)
  set(go_peer ${CMAKE_CURRENT_BINARY_DIR}/go_peer)
  # Rebuilt when go_peer.go or a package it uses changes, not on every build.
  file(GLOB go_libs ${WS_GO_SRC}/github.com/gorilla/websocket/*.go ${WS_GO_SRC}/nhooyr.io/websocket/*.go)
  # The cache goes in the build directory, not $HOME; GOENV=off and GOFLAGS=
  # keep a user's Go settings out; GOPROXY=off: never the network.
  add_custom_command(OUTPUT ${go_peer}
    COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPATH=${gopath} GOCACHE=${CMAKE_BINARY_DIR}/gocache
            GOENV=off GOFLAGS= GOPROXY=off ${WS_GO} build -o ${go_peer} ${CMAKE_CURRENT_LIST_DIR}/peers/go_peer.go
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/peers/go_peer.go ${go_libs}
    COMMENT "Building go_peer (gorilla/websocket, nhooyr.io/websocket)" VERBATIM)
  add_custom_target(go_peer ALL DEPENDS ${go_peer})
  # About 8 s; the margin is for loaded machines and sanitizer builds.
  ws_add_python_interop(interop_go SCRIPT ${CMAKE_CURRENT_LIST_DIR}/peers/go_interop.py TIMEOUT 90
    LABELS peers ARGS $<TARGET_FILE:echo_server> $<TARGET_FILE:chat_server> $<TARGET_FILE:chat_client>
    ${go_peer})
elseif(DEFINED ENV{CI})
  add_test(NAME interop_go
    COMMAND ${CMAKE_COMMAND} -DTEST=interop_go
            "-DMISSING=go or the Go WebSocket sources (golang-go, golang-github-gorilla-websocket-dev, golang-nhooyr-websocket-dev)"
            "-DINSTALL=tests/run.sh installs them."
            -P ${CMAKE_CURRENT_LIST_DIR}/scaling/missing.cmake)
  set_tests_properties(interop_go PROPERTIES TIMEOUT 10 LABELS "interop;peers")
endif()
