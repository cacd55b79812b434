#include "r2/conditional.h"

namespace era::r2 {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool matches(const std::vector<ETagItem>& list, std::string_view etag, bool strong) {
  for (const auto& it : list) {
    if (it.tag == "*") return true;
    if (strong && it.weak) continue;
    if (it.tag == etag) return true;
  }
  return false;
}

}  // namespace

std::vector<ETagItem> parse_etag_list(std::string_view header) {
  std::vector<ETagItem> out;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (item.empty()) continue;
    ETagItem e;
    if (item.starts_with("W/")) {
      e.weak = true;
      item.remove_prefix(2);
    }
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"')
      item = item.substr(1, item.size() - 2);
    e.tag = std::string(item);
    out.push_back(std::move(e));
  }
  return out;
}

CondResult evaluate(const Conditional& c, const ObjectMeta* object) {
  if (!object) {
    // An absent object passes only when nothing demands that it exist.
    if (c.etag_matches || c.uploaded_after) return CondResult::failed;
    return CondResult::pass;
  }
  int64_t uploaded = object->uploaded_ms;
  auto trunc = [&](int64_t ms) { return c.seconds_granularity ? ms / 1000 * 1000 : ms; };
  uploaded = trunc(uploaded);

  bool if_match = !c.etag_matches || matches(*c.etag_matches, object->etag, /*strong=*/true);
  bool if_none_match =
      !c.etag_does_not_match || !matches(*c.etag_does_not_match, object->etag, /*strong=*/false);
  bool if_unmodified = !c.uploaded_before || uploaded < trunc(*c.uploaded_before) ||
                       (c.etag_matches && if_match);
  bool if_modified = !c.uploaded_after || uploaded > trunc(*c.uploaded_after) ||
                     (c.etag_does_not_match && if_none_match);
  // HTTP dates are whole seconds: with second granularity "uploaded < date" means strictly
  // earlier second; S3's If-Unmodified-Since passes when not modified after the date (<=).
  if (c.seconds_granularity && c.unmodified_inclusive && c.uploaded_before && !if_unmodified)
    if_unmodified = uploaded <= trunc(*c.uploaded_before);

  if (!if_match || !if_unmodified) return CondResult::failed;
  if (!if_none_match || !if_modified) return CondResult::not_modified;
  return CondResult::pass;
}

}  // namespace era::r2
