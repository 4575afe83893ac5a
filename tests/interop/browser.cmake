# Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) as
# a peer: two tabs chat through chat_server's own page (a screenshot is kept),
# and Chromium's WebSocket round-trips messages through echo_server.
include(${CMAKE_CURRENT_LIST_DIR}/echo/harness.cmake)

set(dir ${CMAKE_CURRENT_LIST_DIR}/browser)
if(TARGET chat_server AND WS_NODE)
  ws_add_python_interop(interop_browser_chat SCRIPT ${dir}/browser_run.py TIMEOUT 120 LABELS browser
    ARGS $<TARGET_FILE:chat_server> ${dir}/browser_chat.js http ${CMAKE_BINARY_DIR}/chat_screenshot.png)
endif()
if(TARGET echo_server AND WS_NODE)
  ws_add_python_interop(interop_browser_echo SCRIPT ${dir}/browser_run.py TIMEOUT 120 LABELS browser
    ARGS $<TARGET_FILE:echo_server> ${dir}/browser_echo.js ws)
endif()
# A burst of 300 messages of 60,000 bytes into three tabs of the page: each
# must receive every message in order without being dropped as a slow
# consumer (a page that renders per message cannot keep up).
if(TARGET chat_server AND WS_NODE)
  ws_add_python_interop(interop_browser_burst SCRIPT ${dir}/browser_run.py TIMEOUT 150 LABELS browser
    ARGS $<TARGET_FILE:chat_server> ${dir}/browser_burst.js http)
  # Alone: it claims a tab keeps up with a 4x slower CPU, not with that and
  # another Chromium on the same two cores. In a clean-clone CI run beside
  # interop_browser_echo, a tab's main thread stood still long enough for
  # chat_server to drop it; alone it never has.
  set_tests_properties(interop_browser_burst PROPERTIES RUN_SERIAL TRUE)
endif()
# The page mounted under /chat/ by nginx (docs/scaling.md): it must find its
# script, style and WebSocket relative to itself.
find_program(WS_NGINX nginx PATHS /usr/sbin /usr/local/sbin /usr/local/nginx/sbin)
if(TARGET chat_server AND WS_NODE AND WS_NGINX)
  ws_add_python_interop(interop_browser_subpath SCRIPT ${dir}/browser_subpath.py TIMEOUT 90
    LABELS browser ARGS $<TARGET_FILE:chat_server> ${WS_NGINX} ${dir}/browser_subpath.js)
elseif(DEFINED ENV{CI})
  add_test(NAME interop_browser_subpath
    COMMAND ${CMAKE_COMMAND} "-DMISSING=nginx or node"
            -P ${CMAKE_CURRENT_LIST_DIR}/scaling/missing.cmake)
  set_tests_properties(interop_browser_subpath PROPERTIES TIMEOUT 10 LABELS "interop;browser")
endif()
# Headless Firefox ESR (Debian's firefox-esr: Gecko's WebSocket, a peer
# independent of Chromium's) over Marionette, against echo_server and
# chat_server's own page: tests/interop/browser/firefox_run.py. The script
# gets its TIMEOUT to stop itself, Firefox included, before ctest kills it.
find_program(WS_FIREFOX firefox-esr PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET echo_server AND TARGET chat_server AND WS_FIREFOX)
  ws_interop_timeout(firefox_timeout 120)
  ws_add_python_interop(interop_firefox SCRIPT ${dir}/firefox_run.py TIMEOUT 120 LABELS "browser;firefox"
    ARGS $<TARGET_FILE:echo_server> $<TARGET_FILE:chat_server> ${WS_FIREFOX} ${firefox_timeout})
elseif(TARGET echo_server AND TARGET chat_server AND DEFINED ENV{CI})
  add_test(NAME interop_firefox
    COMMAND ${CMAKE_COMMAND} -DTEST=interop_firefox "-DMISSING=/usr/bin/firefox-esr"
            "-DINSTALL=Install firefox-esr (tests/run.sh does)."
            -P ${CMAKE_CURRENT_LIST_DIR}/scaling/missing.cmake)
  set_tests_properties(interop_firefox PROPERTIES TIMEOUT 10 LABELS "interop;browser;firefox")
endif()
