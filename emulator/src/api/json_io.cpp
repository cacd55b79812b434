#include "api/json_io.h"

#include <charconv>
#include <cstring>
#include <optional>

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

namespace {

// Skips JSON whitespace from `i`.
size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// At a '"': the index after the closing quote, and whether the string held a backslash.
// memchr-driven: a 100 MiB base64 string is scanned at memory speed.
std::optional<size_t> skip_string(std::string_view s, size_t i, bool& escaped) {
  escaped = false;
  size_t pos = i + 1;
  while (pos <= s.size()) {
    const void* q = std::memchr(s.data() + pos, '"', s.size() - pos);
    if (!q) return std::nullopt;
    size_t quote = static_cast<size_t>(static_cast<const char*>(q) - s.data());
    const void* b = std::memchr(s.data() + pos, '\\', quote - pos);
    if (!b) return quote + 1;
    escaped = true;
    pos = static_cast<size_t>(static_cast<const char*>(b) - s.data()) + 2;  // past the escaped character
  }
  return std::nullopt;
}

// Skips one JSON value of any kind (strings aware of escapes, nesting counted); the parser that
// runs afterwards is what validates it.
std::optional<size_t> skip_value(std::string_view s, size_t i) {
  bool esc;
  if (i >= s.size()) return std::nullopt;
  if (s[i] == '"') return skip_string(s, i, esc);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      char ch = s[i];
      if (ch == '"') {
        auto next = skip_string(s, i, esc);
        if (!next) return std::nullopt;
        i = *next;
        continue;
      }
      if (ch == '{' || ch == '[') ++depth;
      else if ((ch == '}' || ch == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return std::nullopt;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r')
    ++i;  // a number, true, false or null
  return i;
}

}  // namespace

Result<ObjectWithField> parse_object_taking(std::string_view body, std::string_view name) {
  auto full = [&]() -> Result<ObjectWithField> {
    auto obj = parse_object(body);
    if (!obj) return fail(obj.error());
    return ObjectWithField{std::move(*obj), {}, false};
  };
  size_t i = skip_ws(body, 0);
  if (i >= body.size() || body[i] != '{') return full();
  i = skip_ws(body, i + 1);
  std::optional<std::pair<size_t, size_t>> span;  // the member's value, quotes included
  bool esc;
  while (i < body.size() && body[i] != '}') {
    if (body[i] != '"') return full();
    size_t key_start = i + 1;
    auto key_end = skip_string(body, i, esc);
    if (!key_end || esc) return full();  // an escaped key might spell `name`
    std::string_view key = body.substr(key_start, *key_end - 1 - key_start);
    i = skip_ws(body, *key_end);
    if (i >= body.size() || body[i] != ':') return full();
    i = skip_ws(body, i + 1);
    if (key == name) {
      if (span || i >= body.size() || body[i] != '"') return full();  // twice, or not a string
      auto end = skip_string(body, i, esc);
      if (!end || esc) return full();
      span = std::make_pair(i, *end);
      i = *end;
    } else {
      auto end = skip_value(body, i);
      if (!end) return full();
      i = *end;
    }
    i = skip_ws(body, i);
    if (i < body.size() && body[i] == ',') i = skip_ws(body, i + 1);
    else if (i >= body.size() || body[i] != '}') return full();
  }
  if (!span) return full();
  std::string rest;
  rest.reserve(body.size() - (span->second - span->first) + 2);
  rest.append(body.substr(0, span->first)).append("\"\"").append(body.substr(span->second));
  auto obj = parse_object(rest);
  if (!obj) return fail(obj.error());
  return ObjectWithField{std::move(*obj), body.substr(span->first + 1, span->second - span->first - 2), true};
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
