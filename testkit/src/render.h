#pragma once
// Short, one-line renderings of stored state for failure messages (leveldb PrintContents style).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace era::testkit::render {

// A value as it appears in a dump: bare when it is short and plain, else JSON-quoted; long
// values are cut at 40 bytes with the full length noted: "aaaa…(1000 B)".
std::string value(const std::string& v);
// Compact JSON, invalid UTF-8 replaced.
std::string json(const nlohmann::json& j);
// "+120s", "-5s", "+2h" style offset of an epoch-seconds expiration from now_ms.
std::string expires_in(int64_t expiration_s, int64_t now_ms);

}  // namespace era::testkit::render
