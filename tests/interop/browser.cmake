# chat_server's own page in headless Chromium (Debian's /usr/bin/chromium,
# driven by playwright-core): two tabs chat, a screenshot is kept.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

if(TARGET chat_server AND WS_NODE)
  ws_add_python_interop(interop_browser_chat
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/browser/browser_chat.py TIMEOUT 120 LABELS browser
    ARGS $<TARGET_FILE:chat_server> ${CMAKE_CURRENT_LIST_DIR}/browser/browser_chat.js
         ${CMAKE_BINARY_DIR}/chat_screenshot.png)
endif()
