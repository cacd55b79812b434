#pragma once
// How deep JSON from outside may nest. nlohmann's parser recurses once per level, so text from a
// client, a seed file or era-emu.json is measured first: deeper is a clear error before the
// parser ever sees it, never a stack overflow.
#include <string_view>

#include "core/result.h"

namespace era::core {

inline constexpr int kMaxJsonDepth = 128;

// INVALID_JSON naming `what` ("request body") when arrays/objects nest deeper than kMaxJsonDepth.
Status check_json_depth(std::string_view text, const char* what);

}  // namespace era::core
