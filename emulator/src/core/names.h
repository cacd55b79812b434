#pragma once
// Validation of namespace / bucket / snapshot names before they may name a file.
#include <optional>
#include <string_view>

#include "core/error.h"

namespace era::core {

// [A-Za-z0-9_-], 1..63 characters. Returns the error to send, or nullopt when valid.
std::optional<Error> validate_namespace(std::string_view name);
bool is_valid_name(std::string_view name);

}  // namespace era::core
