#pragma once
// A stored thing as /api/resources reports it. Computed from the engines' real state on every
// request, never kept in a separate registry that could drift.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace era {

struct Resource {
  std::string type;       // "kv" | "r2" | "d1" | custom registered types such as "do"
  std::string ns;
  std::string key;        // KV/R2 key, D1 table name
  std::optional<uint64_t> size;
  nlohmann::json metadata;  // null when none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct ResourceFilter {
  std::string type;        // empty = any
  std::string ns;          // empty = any
  std::string key_prefix;  // empty = any
};

}  // namespace era
