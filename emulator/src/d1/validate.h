#pragma once
// D1's JS -> SQLite type mapping for bound parameters, as the binding applies it
// (cloudflare-storage-semantics.md §3.3), for values that arrive as JSON:
//   null -> NULL, boolean -> INTEGER 0/1, string -> TEXT, any number -> REAL (a JavaScript
//   number is a double: 3 binds as 3.0, typeof(?) is 'real', as workerd), array of integers
//   0..255 -> BLOB.
// Rejected with D1_TYPE_ERROR, in D1's wording: objects and arrays that are not byte arrays
//   ("Type 'object' not supported for value '[object Object]'", the value rendered as
//   JavaScript's String(v) would).
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "store/sqlite.h"

namespace era::d1 {

inline constexpr int64_t kMaxSafeInteger = 9007199254740991LL;  // 2^53 - 1

Result<store::sqlite::Value> to_value(const nlohmann::json& v);
// null/absent params = no bindings; anything but an array is refused by the caller.
Result<std::vector<store::sqlite::Value>> to_values(const nlohmann::json& params);
// The value a reader gets back: INTEGER stays integer, REAL a number written as JSON.stringify
// writes it (integral ones without ".0"), NULL null, TEXT string, BLOB an array of byte values.
nlohmann::json to_json(const store::sqlite::Value& v);

// JavaScript's String(v) for a JSON value (for D1_TYPE_ERROR messages).
std::string js_string(const nlohmann::json& v);

}  // namespace era::d1
