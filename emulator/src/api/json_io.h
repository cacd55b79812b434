#pragma once
// JSON in and out at the HTTP boundary: the one place an era::Error becomes a response.
#include <string_view>

#include "api/http.h"
#include <nlohmann/json.hpp>

#include "core/json_depth.h"
#include "core/result.h"

namespace era::api {

using json = nlohmann::json;

// Serializes (invalid UTF-8 replaced, never throws) and sets Content-Type.
std::string dump(const json& j);
void send_json(Response& res, int status, const json& body);
// {"error": message, "code": CODE, ...details merged in when an object}
void send_error(Response& res, const Error& e);

// JSON from a request nests at most core::kMaxJsonDepth deep; deeper is a 400 before the parser
// (which recurses) ever sees it.
using core::check_json_depth;
using core::kMaxJsonDepth;

// Parses a request body that must be a JSON object (depth-limited).
Result<json> parse_object(std::string_view body);

// A request object with one large string field taken out before parsing: the ERA R2 PUT's
// base64 "content" (up to 128 MiB) would otherwise cost most of the request in the JSON lexer.
// `field` holds the raw text of the top-level string member `name` when it has no escapes
// (base64 never does), and the object is parsed with that member's value emptied. Any other
// shape (escapes, the member twice, not a string, not an object) falls back to a full parse with
// `field` left empty and `taken` false, so the result is always what parse_object() would say.
struct ObjectWithField {
  json object;
  std::string_view field;  // a view into the body
  bool taken = false;
};
Result<ObjectWithField> parse_object_taking(std::string_view body, std::string_view name);

// Typed field access with errors that name the field.
Result<std::string> require_string(const json& obj, const char* field);
// Parses a decimal integer query/body value; names the parameter in the error.
Result<int64_t> parse_int(std::string_view text, const char* name);

}  // namespace era::api
