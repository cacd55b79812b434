#pragma once
// Validation of namespace / bucket / snapshot names before they may name a file.
#include <optional>
#include <string_view>

#include "core/error.h"

namespace era::core {

// [A-Za-z0-9_-], 1..63 characters. Returns the error to send, or nullopt when valid.
std::optional<Error> validate_namespace(std::string_view name);
bool is_valid_name(std::string_view name);

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF. Keys
// must be, since a Workers string cannot hold anything else and listing would have to change
// the bytes (so the listed name would not fetch the key).
bool is_valid_utf8(std::string_view s);

}  // namespace era::core
