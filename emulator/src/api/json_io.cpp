#include "api/json_io.h"

#include <charconv>

namespace era::api {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

void send_error(Response& res, const Error& e) {
  json body = {{"error", e.message}, {"code", std::string(to_string(e.code))}};
  if (e.details.is_object()) {
    for (auto it = e.details.begin(); it != e.details.end(); ++it)
      if (!body.contains(it.key())) body[it.key()] = it.value();
  } else if (!e.details.is_null()) {
    body["details"] = e.details;
  }
  send_json(res, e.status, body);
}

Result<json> parse_object(std::string_view body) {
  if (body.empty()) return fail(Code::INVALID_JSON, "request body is empty; expected a JSON object");
  ERA_TRY(check_json_depth(body, "request body"));
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return fail(Code::INVALID_JSON, "request body is not valid JSON");
  if (!j.is_object()) return fail(Code::INVALID_BODY, "request body must be a JSON object");
  return j;
}

Result<std::string> require_string(const json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null())
    return fail(Code::INVALID_BODY, std::string("missing required field \"") + field + "\"");
  if (!it->is_string())
    return fail(Code::INVALID_BODY, std::string("field \"") + field + "\" must be a string");
  return it->get<std::string>();
}

Result<int64_t> parse_int(std::string_view text, const char* name) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty())
    return fail(Code::BAD_REQUEST, std::string("invalid ") + name + " \"" +
                                       std::string(text.substr(0, 40)) + "\": expected an integer");
  return v;
}

}  // namespace era::api
