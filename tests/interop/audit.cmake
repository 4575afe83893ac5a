# Cases an independent tester found: what generic HTTP clients and real
# WebSocket peers expect of the example programs.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET chat_server)
  ws_add_python_interop(interop_audit_chat_http SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/chat_http_semantics.py
    TIMEOUT 60 LABELS chat ARGS $<TARGET_FILE:chat_server>)
endif()
if(TARGET echo_server AND TARGET chat_server AND WS_NODE)
  ws_add_python_interop(interop_audit_subprotocols SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/subprotocols.py
    TIMEOUT 60 LABELS echo chat ARGS $<TARGET_FILE:echo_server> $<TARGET_FILE:chat_server>)
endif()
if(TARGET chat_server)
  ws_add_python_interop(interop_audit_fd_limit SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/fd_limit.py
    TIMEOUT 60 LABELS chat ARGS $<TARGET_FILE:chat_server>)
endif()
if(TARGET echo_server)
  ws_add_python_interop(interop_audit_echo_fragments SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/echo_fragments.py
    TIMEOUT 120 LABELS echo ARGS $<TARGET_FILE:echo_server>)
endif()
if(TARGET chat_client)
  ws_add_python_interop(interop_audit_client_fragments SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/client_fragments.py
    TIMEOUT 60 LABELS client ARGS $<TARGET_FILE:chat_client>)
endif()
if(TARGET chat_client)
  ws_add_python_interop(interop_audit_client_args SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/client_args.py
    TIMEOUT 30 LABELS client ARGS $<TARGET_FILE:chat_client>)
endif()
if(TARGET chat_client)
  ws_add_python_interop(interop_audit_client_wscat SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/client_wscat.py
    TIMEOUT 60 LABELS client ARGS $<TARGET_FILE:chat_client>)
endif()
# The allocation-failure test. Its LD_PRELOAD shim replaces malloc, which ASan
# must own: a WS_SANITIZE build has no shim, and oom.py uses ASan's own
# allocator_may_return_null/max_allocation_size_mb there instead (fewer
# cases: only large allocations fail). Under valgrind, which also replaces
# malloc, oom.py skips itself (exit 77; tests/valgrind.sh leaves it out).
if(TARGET echo_server AND TARGET chat_server AND TARGET chat_client)
  if(WS_SANITIZE)
    set(ws_failmalloc -)
  else()
    add_library(failmalloc MODULE ${CMAKE_CURRENT_LIST_DIR}/audit/failmalloc.c)
    target_link_libraries(failmalloc PRIVATE ${CMAKE_DL_LIBS})
    set_target_properties(failmalloc PROPERTIES PREFIX "")
    set(ws_failmalloc $<TARGET_FILE:failmalloc>)
  endif()
  ws_add_python_interop(interop_audit_oom SCRIPT ${CMAKE_CURRENT_LIST_DIR}/audit/oom.py
    TIMEOUT 60 LABELS echo chat client
    ARGS ${ws_failmalloc} $<TARGET_FILE:echo_server> $<TARGET_FILE:chat_server>
         $<TARGET_FILE:chat_client>)
  set_tests_properties(interop_audit_oom PROPERTIES SKIP_RETURN_CODE 77)
endif()
