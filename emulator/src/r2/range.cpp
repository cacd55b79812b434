#include "r2/range.h"

#include <charconv>

#include "r2/errors.h"

namespace era::r2 {
namespace {

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<RangeSpec> parse_range_header(std::string_view h) {
  h = trim(h);
  if (!h.starts_with("bytes=")) return std::nullopt;
  h.remove_prefix(6);
  h = trim(h);
  if (h.find(',') != std::string_view::npos) return std::nullopt;
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = trim(h.substr(0, dash)), b = trim(h.substr(dash + 1));
  RangeSpec r;
  if (a.empty()) {
    r.suffix = number(b);
    if (!r.suffix) return std::nullopt;
    return r;
  }
  r.first = number(a);
  if (!r.first) return std::nullopt;
  if (!b.empty()) {
    r.last = number(b);
    if (!r.last || *r.last < *r.first) return std::nullopt;
  }
  return r;
}

Result<ByteRange> resolve(const RangeSpec& r, uint64_t size) {
  if (r.suffix) {
    if (*r.suffix == 0 || size == 0) return fail(errors::invalid_range());
    uint64_t n = std::min(*r.suffix, size);
    return ByteRange{size - n, n};
  }
  uint64_t first = r.first.value_or(0);
  if (first >= size) return fail(errors::invalid_range());
  uint64_t last = r.last ? std::min(*r.last, size - 1) : size - 1;
  return ByteRange{first, last - first + 1};
}

}  // namespace era::r2
