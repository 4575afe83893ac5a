# Three chat_server instances joined by Redis pub/sub behind nginx, with a
# Redis restart in the middle (issue 8, docs/scaling.md). Needs a chat_server
# built with hiredis, redis-server and nginx. Off CI a missing piece skips
# the test with a note; on CI (the CI variable set) it is a failing test, so
# a broken CI image cannot pass by silently running less.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET chat_server)
  find_program(WS_REDIS_SERVER redis-server PATHS /usr/bin /usr/local/bin /usr/sbin)
  find_program(WS_NGINX nginx PATHS /usr/sbin /usr/local/sbin /usr/local/nginx/sbin)
  get_property(ws_chat_redis GLOBAL PROPERTY WS_CHAT_WITH_REDIS)

  set(ws_scaling_missing "")
  if(NOT ws_chat_redis)
    list(APPEND ws_scaling_missing "hiredis for chat_server (libhiredis-dev; WS_WITH_HIREDIS=${WS_WITH_HIREDIS})")
  endif()
  if(NOT WS_REDIS_SERVER)
    list(APPEND ws_scaling_missing "redis-server (redis-server)")
  endif()
  if(NOT WS_NGINX)
    list(APPEND ws_scaling_missing "nginx (nginx)")
  endif()
  if(NOT WS_PYTHON)
    list(APPEND ws_scaling_missing "/usr/bin/python3 (python3-websockets)")
  endif()

  if(ws_scaling_missing STREQUAL "")
    ws_add_python_interop(interop_scaling SCRIPT ${CMAKE_CURRENT_LIST_DIR}/scaling/scaling.py
      TIMEOUT 150 LABELS scaling
      ARGS $<TARGET_FILE:chat_server> ${WS_REDIS_SERVER} ${WS_NGINX})
  elseif(DEFINED ENV{CI} AND (WS_WITH_HIREDIS STREQUAL "AUTO" OR WS_WITH_HIREDIS))
    string(REPLACE ";" ", " ws_scaling_missing "${ws_scaling_missing}")
    add_test(NAME interop_scaling
      COMMAND ${CMAKE_COMMAND} "-DMISSING=${ws_scaling_missing}"
              -P ${CMAKE_CURRENT_LIST_DIR}/scaling/missing.cmake)
    set_tests_properties(interop_scaling PROPERTIES TIMEOUT 10 LABELS "interop;scaling")
  else()
    message(STATUS "interop_scaling skipped, missing: ${ws_scaling_missing}")
  endif()

  # TLS ended by nginx (docs/scaling.md): Chromium on https:// (the page
  # must pick wss://), a Node ws client and chat_client on wss://.
  get_property(ws_client_tls GLOBAL PROPERTY WS_CLIENT_WITH_TLS)
  if(TARGET chat_client AND ws_client_tls AND WS_NGINX AND WS_NODE AND WS_PYTHON)
    ws_add_python_interop(interop_tls_proxy SCRIPT ${CMAKE_CURRENT_LIST_DIR}/scaling/tls_proxy.py
      TIMEOUT 150 LABELS "scaling;browser"
      ARGS $<TARGET_FILE:chat_server> $<TARGET_FILE:chat_client> ${WS_NGINX})
  elseif(DEFINED ENV{CI})
    add_test(NAME interop_tls_proxy
      COMMAND ${CMAKE_COMMAND} "-DMISSING=chat_client with OpenSSL, nginx or node"
              -P ${CMAKE_CURRENT_LIST_DIR}/scaling/missing.cmake)
    set_tests_properties(interop_tls_proxy PROPERTIES TIMEOUT 10 LABELS "interop;scaling")
  endif()

  # --redis with credentials (AUTH, requirepass and an ACL user) against a
  # real redis-server; needs no nginx.
  list(REMOVE_ITEM ws_scaling_missing "nginx (nginx)")
  if(ws_scaling_missing STREQUAL "")
    ws_add_python_interop(interop_redis_auth SCRIPT ${CMAKE_CURRENT_LIST_DIR}/scaling/redis_auth.py
      TIMEOUT 90 LABELS scaling
      ARGS $<TARGET_FILE:chat_server> ${WS_REDIS_SERVER})

    # A Redis HOST that is a name, on a DNS that takes 2.5 s (slow_dns.c,
    # preloaded into the instances under test): lookups must not stall
    # the clients. The shim is not instrumented under WS_SANITIZE; the
    # instance it is preloaded into is.
    add_library(ws_slow_dns MODULE ${CMAKE_CURRENT_LIST_DIR}/scaling/slow_dns.c)
    target_link_libraries(ws_slow_dns PRIVATE ${CMAKE_DL_LIBS})
    target_compile_options(ws_slow_dns PRIVATE -fno-sanitize=all)
    target_link_options(ws_slow_dns PRIVATE -fno-sanitize=all)
    ws_add_python_interop(interop_redis_dns SCRIPT ${CMAKE_CURRENT_LIST_DIR}/scaling/redis_dns.py
      TIMEOUT 120 LABELS scaling
      ARGS $<TARGET_FILE:chat_server> ${WS_REDIS_SERVER} $<TARGET_FILE:ws_slow_dns>)
  elseif(DEFINED ENV{CI} AND (WS_WITH_HIREDIS STREQUAL "AUTO" OR WS_WITH_HIREDIS))
    string(REPLACE ";" ", " ws_scaling_missing "${ws_scaling_missing}")
    foreach(t interop_redis_auth interop_redis_dns)
      add_test(NAME ${t}
        COMMAND ${CMAKE_COMMAND} "-DMISSING=${ws_scaling_missing}"
                -P ${CMAKE_CURRENT_LIST_DIR}/scaling/missing.cmake)
      set_tests_properties(${t} PROPERTIES TIMEOUT 10 LABELS "interop;scaling")
    endforeach()
  endif()
endif()
