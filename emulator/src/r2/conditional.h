#pragma once
// R2 conditionals (spec §2.5): onlyIf / If-* headers, evaluated against the stored object.
// Pure functions; the engine calls evaluate() inside the write transaction for puts.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "r2/object.h"

namespace era::r2 {

struct ETagItem {
  std::string tag;  // unquoted; "*" is the wildcard
  bool weak = false;
};

struct Conditional {
  std::optional<std::vector<ETagItem>> etag_matches;        // If-Match
  std::optional<std::vector<ETagItem>> etag_does_not_match;  // If-None-Match
  std::optional<int64_t> uploaded_before;  // If-Unmodified-Since: passes when uploaded < this
  std::optional<int64_t> uploaded_after;   // If-Modified-Since: passes when uploaded > this
  bool seconds_granularity = false;        // true when the dates came from HTTP headers
  // S3 (RFC 9110): If-Unmodified-Since also passes for an upload in the date's own second
  // ("not modified after"). The Workers binding's uploadedBefore stays strict (workerd).
  bool unmodified_inclusive = false;
  bool empty() const {
    return !etag_matches && !etag_does_not_match && !uploaded_before && !uploaded_after;
  }
};

enum class CondResult {
  pass,
  not_modified,  // If-None-Match / If-Modified-Since failed: 304 for GET/HEAD
  failed,        // If-Match / If-Unmodified-Since failed (or any failure on a write): 412
};

// Parses an If-Match / If-None-Match value: `*` or a comma list of (W/)"tag" (bare tags accepted).
std::vector<ETagItem> parse_etag_list(std::string_view header);

// `object` is null when the key does not exist. RFC 7232 precedence: a passing etag condition
// makes the matching date condition irrelevant.
CondResult evaluate(const Conditional& c, const ObjectMeta* object);

}  // namespace era::r2
