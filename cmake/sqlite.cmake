# D1 runs a recent SQLite (workerd bundles 3.5x); Debian 12's is 3.40.1, which lacks jsonb(),
# concat(), unistr(), octet_length(), timediff()… (issue 18, item 10). So era-emu compiles its
# own SQLite from the amalgamation that the npm package better-sqlite3 ships
# (deps/sqlite3/sqlite3.{c,h}, unmodified SQLite), with workerd's compile options, and links it
# statically — one SQLite for the whole binary, so no second copy and no symbol renaming.
#
# The package comes from the npm registry (`npm pack`, which checks the registry's integrity
# hash), is cached once per machine, and the two files are checked against pinned SHA-256s.
#   -DERA_SQLITE_DIR=DIR          use sqlite3.c/sqlite3.h from DIR (nothing fetched)
#   -DERA_BUNDLED_SQLITE=OFF      link Debian's libsqlite3 instead (older SQLite: the tests of
#                                 the newer functions then report themselves skipped)
# Result: target era_sqlite3 (static, or an interface library over SQLite::SQLite3).

option(ERA_BUNDLED_SQLITE "Build D1 on SQLite from the better-sqlite3 npm package (else Debian's)" ON)
set(ERA_SQLITE_NPM "better-sqlite3@12.11.1")
set(ERA_SQLITE_VERSION_WANTED "3.53.2")
set(ERA_SQLITE_C_SHA256 "60d2f39a3726cd6b9021da6f4e868608d66fbb6528a9f513dc8ffcc640493422")
set(ERA_SQLITE_H_SHA256 "9e69a1353a4288450b0d5239ede11fc7f1f4c8e5eb07491fc8317eacb5b7de7e")

if(NOT ERA_BUNDLED_SQLITE)
  find_package(SQLite3 REQUIRED)
  add_library(era_sqlite3 INTERFACE)
  target_link_libraries(era_sqlite3 INTERFACE SQLite::SQLite3)
  message(STATUS "SQLite: Debian's ${SQLite3_VERSION} (ERA_BUNDLED_SQLITE=OFF)")
  return()
endif()

if(NOT ERA_SQLITE_DIR)
  if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(_cache "$ENV{XDG_CACHE_HOME}/era-emu")
  elseif(DEFINED ENV{HOME} AND NOT "$ENV{HOME}" STREQUAL "")
    set(_cache "$ENV{HOME}/.cache/era-emu")
  else()
    set(_cache "${PROJECT_BINARY_DIR}/_deps")
  endif()
  set(ERA_SQLITE_DIR "${_cache}/sqlite-${ERA_SQLITE_VERSION_WANTED}")
endif()

function(_era_sqlite_ok dir out)
  set(ok FALSE)
  if(EXISTS "${dir}/sqlite3.c" AND EXISTS "${dir}/sqlite3.h")
    file(SHA256 "${dir}/sqlite3.c" c)
    file(SHA256 "${dir}/sqlite3.h" h)
    if(c STREQUAL ERA_SQLITE_C_SHA256 AND h STREQUAL ERA_SQLITE_H_SHA256)
      set(ok TRUE)
    endif()
  endif()
  set(${out} ${ok} PARENT_SCOPE)
endfunction()

_era_sqlite_ok("${ERA_SQLITE_DIR}" _have)
if(NOT _have)
  find_program(ERA_NPM npm)
  if(NOT ERA_NPM)
    message(FATAL_ERROR "SQLite ${ERA_SQLITE_VERSION_WANTED} for D1 comes from the npm package "
      "${ERA_SQLITE_NPM}, but npm is not installed (scripts/dev setup installs it). Or pass "
      "-DERA_SQLITE_DIR=<dir with sqlite3.c and sqlite3.h>, or -DERA_BUNDLED_SQLITE=OFF to use "
      "Debian's older SQLite.")
  endif()
  set(_tmp "${ERA_SQLITE_DIR}.download")
  file(REMOVE_RECURSE "${_tmp}")
  file(MAKE_DIRECTORY "${_tmp}")
  message(STATUS "SQLite: fetching ${ERA_SQLITE_NPM} from the npm registry into ${ERA_SQLITE_DIR}")
  execute_process(COMMAND ${ERA_NPM} pack ${ERA_SQLITE_NPM} --silent
                  WORKING_DIRECTORY "${_tmp}" RESULT_VARIABLE rc OUTPUT_VARIABLE tgz
                  ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm pack ${ERA_SQLITE_NPM} failed (${rc}): ${err}\nOffline? Pass "
      "-DERA_SQLITE_DIR=<dir with sqlite3.c and sqlite3.h> or -DERA_BUNDLED_SQLITE=OFF.")
  endif()
  file(ARCHIVE_EXTRACT INPUT "${_tmp}/${tgz}" DESTINATION "${_tmp}"
       PATTERNS package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h)
  file(MAKE_DIRECTORY "${ERA_SQLITE_DIR}")
  foreach(f sqlite3.c sqlite3.h)
    file(RENAME "${_tmp}/package/deps/sqlite3/${f}" "${ERA_SQLITE_DIR}/${f}")
  endforeach()
  file(REMOVE_RECURSE "${_tmp}")
  _era_sqlite_ok("${ERA_SQLITE_DIR}" _have)
  if(NOT _have)
    message(FATAL_ERROR "${ERA_SQLITE_DIR}/sqlite3.{c,h} do not match the pinned SHA-256 of "
      "SQLite ${ERA_SQLITE_VERSION_WANTED} from ${ERA_SQLITE_NPM}; refusing to build with them.")
  endif()
endif()

enable_language(C)
add_library(era_sqlite3 STATIC "${ERA_SQLITE_DIR}/sqlite3.c")
# -isystem: SQLite's header wins over Debian's /usr/include/sqlite3.h, and its warnings are not ours.
target_include_directories(era_sqlite3 SYSTEM PUBLIC $<BUILD_INTERFACE:${ERA_SQLITE_DIR}>)
target_compile_options(era_sqlite3 PRIVATE -w -O2)
set_target_properties(era_sqlite3 PROPERTIES C_STANDARD 11 POSITION_INDEPENDENT_CODE ON)
target_compile_definitions(era_sqlite3 PRIVATE
  # workerd's options (build/BUILD.sqlite3), i.e. what D1 runs with:
  SQLITE_MAX_ALLOCATION_SIZE=16777216
  SQLITE_PRINTF_PRECISION_LIMIT=100000
  SQLITE_ENABLE_FTS5
  SQLITE_ENABLE_NORMALIZE
  SQLITE_ENABLE_MATH_FUNCTIONS
  SQLITE_DEFAULT_FOREIGN_KEYS=1
  SQLITE_ENABLE_RTREE
  SQLITE_ENABLE_UPDATE_DELETE_LIMIT
  SQLITE_OMIT_SHARED_CACHE
  # era-emu's own: no extension loading at all (D1 has none), no global memory statistics.
  SQLITE_OMIT_LOAD_EXTENSION
  SQLITE_DEFAULT_MEMSTATUS=0
  # D1's meta.rows_read / rows_written (issue 18 item 7): how often each instruction of a
  # statement ran (the bytecode() table's nexec column), from which d1/row_counts.cpp counts
  # what workerd's row-count patch counts. store/sqlite.cpp drops bytecode() and tables_used()
  # from every database connection (D1 has neither) and reads them on a private one.
  SQLITE_ENABLE_STMT_SCANSTATUS
  SQLITE_ENABLE_BYTECODE_VTAB)
target_link_libraries(era_sqlite3 PRIVATE Threads::Threads m)
message(STATUS "SQLite: ${ERA_SQLITE_VERSION_WANTED} from ${ERA_SQLITE_NPM} (${ERA_SQLITE_DIR})")
