#pragma once
// Standard base64 (RFC 4648, with padding) for R2 bodies on the JSON routes.
#include <optional>
#include <string>
#include <string_view>

namespace era::client {

std::string base64_encode(std::string_view bytes);
// nullopt when the text is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace era::client
