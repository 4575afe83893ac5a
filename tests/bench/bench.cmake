# Parser benchmark and server load tool. Built by CI so they keep compiling;
# CI runs bench_parser only in --quick mode (bench-smoke), never times it.

# wslay is the baseline of bench_parser and nothing else needs it. Debian's
# libwslay-dev ships a CMake package but no .pc file; other systems ship the
# .pc file. Without either, bench_parser is built without the wslay columns.
set(WS_BENCH_WSLAY_TARGET "")
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(WSLAY QUIET IMPORTED_TARGET libwslay)
  if(WSLAY_FOUND)
    set(WS_BENCH_WSLAY_TARGET PkgConfig::WSLAY)
  endif()
endif()
if(NOT WS_BENCH_WSLAY_TARGET)
  find_path(WS_WSLAY_INCLUDE_DIR wslay/wslay.h)
  find_library(WS_WSLAY_LIBRARY wslay)
  if(WS_WSLAY_INCLUDE_DIR AND WS_WSLAY_LIBRARY)
    add_library(ws_bench_wslay INTERFACE)
    target_include_directories(ws_bench_wslay INTERFACE ${WS_WSLAY_INCLUDE_DIR})
    target_link_libraries(ws_bench_wslay INTERFACE ${WS_WSLAY_LIBRARY})
    set(WS_BENCH_WSLAY_TARGET ws_bench_wslay)
  endif()
endif()

add_executable(bench_parser ${CMAKE_CURRENT_LIST_DIR}/bench_parser.c)
# The static library, so the bench can also call the internal SIMD and
# portable variants (lib/mask.h, lib/utf8.h) next to the dispatchers.
target_link_libraries(bench_parser PRIVATE wsframe_static)
target_include_directories(bench_parser PRIVATE ${PROJECT_SOURCE_DIR}/lib)
if(WS_BENCH_WSLAY_TARGET)
  target_link_libraries(bench_parser PRIVATE ${WS_BENCH_WSLAY_TARGET})
  target_compile_definitions(bench_parser PRIVATE WS_BENCH_HAVE_WSLAY=1)
  message(STATUS "bench_parser: comparing against wslay")
else()
  message(STATUS "bench_parser: wslay not found, building without its columns")
endif()

add_test(NAME bench_parser_smoke COMMAND bench_parser --quick)
set_tests_properties(bench_parser_smoke PROPERTIES TIMEOUT 60 LABELS bench-smoke)

if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/load.c)
  add_executable(ws_load ${CMAKE_CURRENT_LIST_DIR}/load.c)
  target_link_libraries(ws_load PRIVATE wsframe_static)
endif()

# The bare unmasking loop called once and per piece: what the machine charges
# for cutting a payload into reads (docs/PERFORMANCE.md, split payloads).
add_executable(bench_pieces ${CMAKE_CURRENT_LIST_DIR}/bench_pieces.c)
add_test(NAME bench_pieces_smoke COMMAND bench_pieces --quick --footprint 65536)
set_tests_properties(bench_pieces_smoke PROPERTIES TIMEOUT 60 LABELS bench-smoke)
