#pragma once
// D1 errors in the wording D1 uses (shared/spec/cloudflare-storage-semantics.md §3.6).
// Every one keeps the ERA proxy's outer message "D1 query failed" and carries D1's own text
// in `details` ("D1_ERROR: <sqlite message>: SQLITE_<CODE>"), which the SDKs surface.
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/sqlite.h"

namespace era::d1::errors {

inline constexpr const char* kFailed = "D1 query failed";

inline Error with_text(Code code, std::string details) {
  return Error(code, kFailed).with_details({{"details", std::move(details)}});
}

// A SQLite failure. Status: 400 for the caller's SQL, limits and refusals; 503 D1_BUSY and
// 500 D1_INTERNAL only for the emulator's own trouble.
inline Error sql(const store::sqlite::SqlError& e) {
  using K = store::sqlite::SqlError::Kind;
  Code code = Code::D1_SQL_ERROR;
  switch (e.kind) {
    case K::sql: code = Code::D1_SQL_ERROR; break;
    case K::limit: code = Code::D1_LIMIT_EXCEEDED; break;
    case K::auth: code = Code::D1_NOT_AUTHORIZED; break;
    case K::busy: code = Code::D1_BUSY; break;
    case K::interrupted: code = Code::D1_INTERRUPTED; break;
    case K::internal: code = Code::D1_INTERNAL; break;
  }
  // workerd's transaction refusal is a plain JS error: no SQLite code appended.
  std::string text = e.kind == K::auth && e.message.starts_with("To execute a transaction")
                         ? e.message
                         : e.text();
  return Error(code, kFailed)
      .with_details({{"details", "D1_ERROR: " + text}, {"sqlite_code", e.code_name()}});
}

// Past the query deadline. D1's own words for it (seen in production), and the limit.
inline Error query_timeout(int64_t timeout_ms) {
  return Error(Code::D1_QUERY_TIMEOUT, kFailed)
      .with_details({{"details", "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset."},
                     {"timeout_ms", timeout_ms},
                     {"hint", "the statements ran longer than " + std::to_string(timeout_ms) +
                                  " ms (era-emu up --d1-query-timeout) and were stopped; nothing they wrote was kept"}});
}

// Rows past kMaxResultBytes / kMaxResultRows (engine.h).
inline Error result_too_large(int64_t max_bytes, int64_t max_rows) {
  return Error(Code::D1_LIMIT_EXCEEDED, kFailed)
      .with_details({{"details", "D1_ERROR: result too large: SQLITE_TOOBIG"},
                     {"hint", "one request's rows may hold at most " + std::to_string(max_bytes) + " bytes of values and " +
                                  std::to_string(max_rows) + " rows in era-emu; select fewer rows or columns (LIMIT, OFFSET)"},
                     {"max_result_bytes", max_bytes},
                     {"max_result_rows", max_rows}});
}

// Stopped by the emulator itself (reset, restore, seed, shutdown).
inline Error interrupted(std::string_view by) {
  return Error(Code::D1_INTERRUPTED, kFailed)
      .with_details({{"details", "D1_ERROR: interrupted: SQLITE_INTERRUPT"},
                     {"hint", "the statements were stopped by " + std::string(by) + "; nothing they wrote was kept"}});
}

// D1_TYPE_ERROR: Type '<typeof>' not supported for value '<String(v)>'
inline Error type_error(std::string_view js_type, std::string_view value) {
  return with_text(Code::D1_TYPE_ERROR, "D1_TYPE_ERROR: Type '" + std::string(js_type) +
                                            "' not supported for value '" + std::string(value) +
                                            "'");
}

inline Error missing_sql() {
  return with_text(Code::D1_MISSING_SQL,
                   "missing required field \"sql\": the body must be {\"sql\": \"<SQL>\", "
                   "\"params\": [...]}");
}
inline Error sql_not_string() {
  return with_text(Code::D1_MISSING_SQL, "field \"sql\" must be a string of SQL");
}
inline Error params_not_array() {
  return Error(Code::INVALID_BODY, kFailed)
      .with_details({{"details", "field \"params\" must be an array of values"}});
}
inline Error no_statements() {
  return with_text(Code::D1_SQL_ERROR, "D1_ERROR: No SQL statements detected.");
}
inline Error nul_in_sql() {
  return with_text(Code::D1_SQL_ERROR, "D1_ERROR: the SQL text contains a NUL character");
}
inline Error wrong_binding_count(size_t given, int wanted) {
  return with_text(Code::D1_SQL_ERROR,
                   "D1_ERROR: Wrong number of parameter bindings for SQL query. (statement has " +
                       std::to_string(wanted) + ", got " + std::to_string(given) + ")");
}
inline Error params_on_non_last() {
  return with_text(Code::D1_SQL_ERROR,
                   "D1_ERROR: When executing multiple SQL statements in a single call, only the "
                   "last statement can have parameters.");
}
inline Error read_only_get() {
  return Error(Code::D1_READ_ONLY_GET,
               "GET runs read-only D1 queries (a web page can send a GET); send statements that write with POST");
}
inline Error read_only_inspect() {
  return Error(Code::D1_READ_ONLY,
               "/_emu/inspect runs read-only queries; write through the storage API, exec or seed");
}
inline Error invalid_operation() { return Error(Code::D1_INVALID_OPERATION, "Invalid operation"); }
inline Error bad_batch(std::string why) {
  return Error(Code::INVALID_BODY, kFailed).with_details({{"details", std::move(why)}});
}

// Adds which statement of a batch / multi-statement exec failed.
inline Error at_statement(Error e, size_t index) {
  if (!e.details.is_object()) e.details = nlohmann::json::object();
  e.details["statement_index"] = index;
  return e;
}

}  // namespace era::d1::errors
