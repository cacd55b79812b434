#pragma once
// URL text helpers shared by the server (links it hands out) and the tests.
#include <string>
#include <string_view>

namespace era::core {

// Percent-encodes every byte but RFC 3986 unreserved characters (and '/' when keep_slash).
std::string percent_encode(std::string_view s, bool keep_slash = false);

}  // namespace era::core
