#pragma once
// What an engine needs to know about the request it serves: "now", read once by the guard from
// the one clock, and the KV location the request claims to come from.
#include <cstdint>
#include <string>

namespace era {

struct OpContext {
  int64_t now_ms = 0;
  std::string location = "local";
  // Set by a `stale` fault: a KV read serves the pre-propagation (previous) version.
  bool stale = false;
};

}  // namespace era
