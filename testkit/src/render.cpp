#include "render.h"

namespace era::testkit::render {

std::string json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string value(const std::string& v) {
  constexpr size_t kMax = 40;
  bool plain = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '=' || c == '"' || c == '[' || c == ']' || c == '\\' || c >= 0x7f) plain = false;
  std::string shown = v.size() > kMax ? v.substr(0, kMax) : v;
  std::string out = plain ? shown : json(nlohmann::json(shown));
  if (v.size() > kMax) out += "...(" + std::to_string(v.size()) + " B)";
  return out;
}

std::string expires_in(int64_t expiration_s, int64_t now_ms) {
  int64_t delta_ms = expiration_s * 1000 - now_ms;
  int64_t s = delta_ms >= 0 ? (delta_ms + 999) / 1000 : -((-delta_ms + 999) / 1000);
  std::string sign = s >= 0 ? "+" : "-";
  int64_t a = s >= 0 ? s : -s;
  if (a >= 86400 && a % 86400 == 0) return sign + std::to_string(a / 86400) + "d";
  if (a >= 3600 && a % 3600 == 0) return sign + std::to_string(a / 3600) + "h";
  return sign + std::to_string(a) + "s";
}

}  // namespace era::testkit::render
