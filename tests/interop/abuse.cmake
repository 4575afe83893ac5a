# Hostile clients against both servers: noise, lying frame headers, slowloris,
# clients that never read, ping floods, connection churn.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

set(WS_ABUSE_TIMEOUT_garbage 90)
set(WS_ABUSE_TIMEOUT_hugeframe 60)
set(WS_ABUSE_TIMEOUT_slowloris 90)
set(WS_ABUSE_TIMEOUT_noread 60)
set(WS_ABUSE_TIMEOUT_pingflood 90)
set(WS_ABUSE_TIMEOUT_churn 150)
foreach(kind echo chat)
  if(TARGET ${kind}_server)
    foreach(mode garbage hugeframe slowloris noread pingflood churn)
      ws_add_python_interop(abuse_${kind}_${mode}
        SCRIPT ${CMAKE_CURRENT_LIST_DIR}/abuse/abuse.py TIMEOUT ${WS_ABUSE_TIMEOUT_${mode}}
        LABELS abuse ARGS ${kind} $<TARGET_FILE:${kind}_server> ${mode})
    endforeach()
  endif()
endforeach()
