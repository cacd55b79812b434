#include "api/http.h"

#include <algorithm>

namespace era::api {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool CaseLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

std::string Request::get_header_value(std::string_view name, std::string_view def) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string(def) : it->second;
}

std::string Request::get_param_value(std::string_view name, size_t index) const {
  auto [lo, hi] = params.equal_range(name);
  for (; lo != hi; ++lo, index -= index ? 1 : 0)
    if (index == 0) return lo->second;
  return {};
}

std::string Response::get_header_value(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void Response::set_content(std::string content, std::string_view content_type) {
  body = std::move(content);
  provider = nullptr;
  headers.erase("Content-Type");
  if (!content_type.empty()) set_header("Content-Type", content_type);
}

void Response::set_content_provider(uint64_t length, std::string_view content_type, ContentProvider p) {
  body.clear();
  provider = std::move(p);
  content_length = length;
  chunked = false;
  headers.erase("Content-Type");
  if (!content_type.empty()) set_header("Content-Type", content_type);
}

void Response::set_chunked_content_provider(std::string_view content_type, ContentProvider p) {
  set_content_provider(0, content_type, std::move(p));
  chunked = true;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += char(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && c == '+' ? ' ' : c;
  }
  return out;
}

void parse_query(std::string_view query, Params& out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = percent_decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    out.emplace(std::move(name), std::move(value));
  }
}

}  // namespace era::api
