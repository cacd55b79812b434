#pragma once
// Range reads (spec §2.6): the Range header forms bytes=a-b, bytes=a-, bytes=-n.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace era::r2 {

struct RangeSpec {
  std::optional<uint64_t> first;  // absent for a suffix range
  std::optional<uint64_t> last;   // inclusive; absent = to the end
  std::optional<uint64_t> suffix; // bytes=-n
};

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// nullopt for anything that is not exactly one well-formed byte range (invalid or multi-range
// headers are ignored: the whole object is served).
std::optional<RangeSpec> parse_range_header(std::string_view header);

// Resolves against the object size: over-long ranges are clamped; an unsatisfiable one
// (first >= size, zero suffix) is R2_INVALID_RANGE.
Result<ByteRange> resolve(const RangeSpec& r, uint64_t size);

}  // namespace era::r2
