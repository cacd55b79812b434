#pragma once
// Formatting and parsing of the instants that cross the wire.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace era::core {

// "2026-01-02T03:04:05.678Z"
std::string iso8601_ms(int64_t epoch_ms);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]" (and a space instead of T).
std::optional<int64_t> parse_iso8601(std::string_view s);
// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
std::string http_date(int64_t epoch_ms);
std::optional<int64_t> parse_http_date(std::string_view s);
// "90s", "5m", "2h", "1d", "1500ms", or a bare number of milliseconds.
std::optional<int64_t> parse_duration_ms(std::string_view s);

}  // namespace era::core
