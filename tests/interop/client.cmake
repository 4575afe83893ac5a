# chat_client against Python websockets and Node ws echo servers: one ctest
# per (server, case); see tests/interop/client/client_interop.py.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET chat_client)
  set(dir ${CMAKE_CURRENT_LIST_DIR}/client)
  set(cases lines binary invalid_utf8 headers eof_close closed_stdio server_close_1001 server_close_4000
            wait not_found server_ping client_ping slash max_message ipv6 tty sigint)
  set(kinds python)
  if(WS_NODE)
    list(APPEND kinds node)
  endif()
  # wss:// against TLS echo servers when chat_client has OpenSSL; without
  # it, the "wss" case below checks that wss:// is refused with a reason.
  get_property(ws_client_tls GLOBAL PROPERTY WS_CLIENT_WITH_TLS)
  string(TOUPPER "${WS_WITH_OPENSSL}" ws_openssl_mode)
  if(ws_client_tls)
    list(APPEND cases wss_lines wss_verify wss_server_close wss_proxy wss_burst
                      wss_backpressure)
  elseif(DEFINED ENV{CI} AND ws_openssl_mode STREQUAL "AUTO")
    # On CI a missing libssl-dev fails the run instead of testing less.
    add_test(NAME interop_client_wss_tls
      COMMAND ${CMAKE_COMMAND} -P ${dir}/missing_tls.cmake)
    set_tests_properties(interop_client_wss_tls PROPERTIES TIMEOUT 10 LABELS "interop;client")
  endif()
  foreach(kind ${kinds})
    foreach(case ${cases})
      ws_add_python_interop(interop_client_${kind}_${case} SCRIPT ${dir}/client_interop.py
        TIMEOUT 60 LABELS client ARGS ${kind} $<TARGET_FILE:chat_client> ${case})
    endforeach()
    # Only Node's TLS server can renegotiate (TLS 1.2).
    if(ws_client_tls AND kind STREQUAL "node")
      ws_add_python_interop(interop_client_node_wss_renegotiate SCRIPT ${dir}/client_interop.py
        TIMEOUT 60 LABELS client ARGS node $<TARGET_FILE:chat_client> wss_renegotiate)
    endif()
    # A machine without an IPv6 loopback skips the IPv6 case instead of failing.
    if(TEST interop_client_${kind}_ipv6)
      set_tests_properties(interop_client_${kind}_ipv6 PROPERTIES SKIP_RETURN_CODE 77)
    endif()
  endforeach()
  # Cases that do not depend on what kind of server runs (or script their
  # own raw-socket server): once is enough.
  set(once refused unresolvable usage proxy sink_paused_after_eof sink_stalled_after_eof)
  if(NOT ws_client_tls)
    list(APPEND once wss)
  endif()
  foreach(case ${once} raw_frames raw_backpressure raw_ping_flood raw_stdout_stalled raw_after_close raw_big_request
               raw_close_unanswered raw_no_tcp_close raw_drop raw_masked raw_bad_utf8
               raw_bad_accept raw_unoffered_protocol raw_redirect raw_request_head
               raw_unoffered_extension raw_bad_extension raw_mask_keys raw_ping_timeout
               raw_crossed_close raw_oversized_glued raw_close_reason_controls
               raw_stderr_in_stdout_pipe)
    ws_add_python_interop(interop_client_${case} SCRIPT ${dir}/client_interop.py
      TIMEOUT 60 LABELS client ARGS python $<TARGET_FILE:chat_client> ${case})
  endforeach()
endif()
