#pragma once
// JSON with comments (era-emu.json): `// line` and `/* block */` comments outside strings.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace era::products {

// Returns `text` with every comment replaced by spaces (newlines kept), so a JSON parser's
// line/column positions still point into the original file. Comment markers inside strings
// (including after escaped quotes) are left alone. BAD_REQUEST for an unterminated /* comment,
// naming the line it starts on.
Result<std::string> strip_json_comments(std::string_view text);

// A value as a config error quotes it: compact JSON, cut to 60 characters ("got [1, 2, …]").
std::string shown(const nlohmann::json& v);

}  // namespace era::products
