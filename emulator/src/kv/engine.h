#pragma once
// Workers KV semantics over the LMDB `kv` table: limits and wording of the real service,
// expiration evaluated against the virtual clock on every read and list (an expired key is
// gone the instant the clock passes it), background sweep to reclaim space.
// Namespaces are isolated by construction: stored key = namespace \0 key.
// Thread-safe: every call runs in its own LMDB transaction.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"

namespace era::store { class Lmdb; }

namespace era::kv {

struct Entry {
  std::string value;
  nlohmann::json metadata;  // null when none
  int64_t expiration = 0;   // absolute seconds since epoch, 0 = none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct PutOptions {
  std::optional<nlohmann::json> metadata;  // absent or null = no metadata
  int64_t expiration = 0;                  // absolute seconds, already validated; 0 = none
};

struct ListOptions {
  std::string prefix;
  int limit = 1000;
  std::string cursor;  // opaque, from a previous ListResult
};

struct ListKey {
  std::string name;
  int64_t expiration = 0;
  nlohmann::json metadata;
};

struct ListResult {
  std::vector<ListKey> keys;
  bool list_complete = true;
  std::string cursor;  // empty when complete
};

class Engine {
 public:
  explicit Engine(store::Lmdb& db) : db_(db) {}

  // nullopt when missing or expired. Fails only on storage errors or an invalid key.
  Result<std::optional<Entry>> get(const OpContext& ctx, std::string_view ns, std::string_view key);
  // Validates key, value and metadata; overwrites value, metadata and expiration together.
  Status put(const OpContext& ctx, std::string_view ns, std::string_view key, std::string_view value,
             const PutOptions& opts);
  // Deleting a missing key succeeds.
  Status del(const OpContext& ctx, std::string_view ns, std::string_view key);
  // Keys in UTF-8 byte order, expired ones skipped. Fails on an invalid limit or cursor.
  Result<ListResult> list(const OpContext& ctx, std::string_view ns, const ListOptions& opts);

  // Every live key as a resource (for /api/resources).
  Status list_resources(const OpContext& ctx, const ResourceFilter& filter,
                        const std::function<void(Resource&&)>& out);
  // Physically removes expired entries; returns how many.
  Result<size_t> sweep_expired(int64_t now_ms);
  // Removes every key of one namespace (all namespaces when empty).
  Result<size_t> clear(std::string_view ns);

 private:
  store::Lmdb& db_;
};

// Record encoding (exposed for tests).
std::string encode_entry(const Entry& e, std::string_view metadata_json);
std::optional<Entry> decode_entry(std::string_view bytes);

}  // namespace era::kv
