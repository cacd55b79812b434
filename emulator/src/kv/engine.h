#pragma once
// Workers KV semantics over the LMDB `kv` table (see docs/semantics.md, "## KV"):
// - limits and wording of the real service (validate.h, errors.h);
// - expiration against the virtual clock on every read and list: a key with expiration E is gone
//   for every reader once now_ms >= E * 1000; the background sweep reclaims the space;
// - eventual consistency between locations (ctx.location): a write is visible at its own location
//   at once and elsewhere after the namespace's propagation delay (record.h has the rule), and each
//   location caches what it read, misses included, for cacheTtl (edge_cache.h);
// - an optional 1 write/s/key limit on the virtual clock.
// Namespaces are isolated by construction: stored key = namespace \0 key.
// Thread-safe: every call runs in its own LMDB transaction; options and caches have their own locks.
// Deterministic: answers depend only on the sequence of calls and the `now` they carry.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/aead.h"
#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"
#include "kv/edge_cache.h"
#include "kv/record.h"

namespace era::store { class Lmdb; }

namespace era::kv {

// Engine-wide settings; the lead wires CLI flags/config to these.
struct Options {
  int64_t propagation_delay_ms = 60000;  // default for namespaces without their own; 0 = strong
  bool rate_limit_writes = false;        // 1 write/s/key like production (429)
  size_t edge_cache_max_entries = size_t(1) << 20;
  size_t edge_cache_max_bytes = size_t(256) << 20;
};

// Per-namespace settings; unset fields fall back to Options / no default.
struct NamespaceOptions {
  std::optional<int64_t> default_ttl_s;         // applied to puts that name no expiration (>= 60)
  std::optional<int64_t> propagation_delay_ms;  // overrides Options::propagation_delay_ms
};

struct PutOptions {
  std::optional<nlohmann::json> metadata;  // absent or null = no metadata
  int64_t expiration = 0;                  // absolute seconds, already validated; 0 = none
  // Visible at every location at once, no previous version (seeded fixtures, test baselines).
  bool everywhere = false;
};

struct GetOptions {
  int64_t cache_ttl_s = 60;  // how long this location keeps what it read (validated, >= 30)
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

inline constexpr int64_t kDefaultCacheTtlS = 60;
inline constexpr int64_t kRateLimitWindowMs = 1000;

class Engine {
 public:
  explicit Engine(store::Lmdb& db, Options opts = {});

  // What ctx.location sees at ctx.now_ms: nullopt when missing, deleted, expired or not yet
  // propagated there (or a cached miss). With ctx.stale (the `stale` fault) it serves what a
  // stale edge would (record.h stale_version) and leaves the cache alone.
  // Fails on storage errors, an invalid key or location.
  Result<std::optional<Entry>> get(const OpContext& ctx, std::string_view ns, std::string_view key,
                                   const GetOptions& opts = {});
  // Validates key, value, metadata and location; overwrites value, metadata and expiration
  // together (a put without expiration gets the namespace default TTL, if any). Fails with
  // KV_RATE_LIMITED when the rate limit is on and the key was written less than 1 s ago.
  Status put(const OpContext& ctx, std::string_view ns, std::string_view key, std::string_view value,
             const PutOptions& opts);
  // Deleting a missing key succeeds. Other locations see the old value until it propagates.
  Status del(const OpContext& ctx, std::string_view ns, std::string_view key);
  // Keys in UTF-8 byte order as ctx.location sees them (propagation applies; the edge cache does
  // not). Fails on an invalid limit, prefix or cursor.
  Result<ListResult> list(const OpContext& ctx, std::string_view ns, const ListOptions& opts);

  // The latest state, bypassing propagation and caches (expiration still applies): for the
  // control plane's inspect routes.
  Result<std::optional<Entry>> get_authoritative(std::string_view ns, std::string_view key,
                                                 int64_t now_ms);
  Result<ListResult> list_authoritative(std::string_view ns, const ListOptions& opts, int64_t now_ms);

  // Every live key (authoritative view) as a resource (for /api/resources).
  Status list_resources(const OpContext& ctx, const ResourceFilter& filter,
                        const std::function<void(Resource&&)>& out);
  // Physically removes keys that read as a miss everywhere for good (expired, or deleted and
  // propagated), drops previous versions nobody can see any more, and prunes the in-memory
  // caches. Returns how many keys were removed. With `max_keys`, looks at no more than that many
  // keys, resuming after the last one the previous bounded call looked at and wrapping round at
  // the end: the background sweep's work per tick stays bounded however many keys are stored
  // (a full pass every second cost 76 ms of CPU a second at 630k keys). Reads never depend on
  // the sweep — a key that reads as a miss does so before it is reclaimed.
  Result<size_t> sweep_expired(int64_t now_ms, size_t max_keys = 0);
  // Removes every key of one namespace (all namespaces when empty) and its cached reads.
  // Options are configuration and survive.
  Result<size_t> clear(std::string_view ns);

  // Settings. Fail with a 400 naming the field on a negative delay or a default TTL below 60.
  Options options() const;
  Status set_options(const Options& opts);
  NamespaceOptions namespace_options(std::string_view ns) const;
  std::map<std::string, NamespaceOptions> all_namespace_options() const;
  Status set_namespace_options(std::string_view ns, NamespaceOptions opts);
  // The delay that applies to `ns` now.
  int64_t propagation_delay_ms(std::string_view ns) const;

  // Drops every cached read (e.g. after a snapshot restore rewrote the table underneath).
  void clear_edge_cache() { cache_.clear({}); }

  // Encryption at rest (issue 8): from now on `ns` writes sealed records (record.h) with `aead`,
  // and reads open them with it; nullptr turns sealing off (existing sealed records then fail to
  // read with ENCRYPTION_SECRET_MISSING). Plaintext records stay readable either way. Set at
  // start, before serving; thread-safe.
  void set_namespace_cipher(std::string_view ns, std::shared_ptr<const core::Aead> aead);
  std::shared_ptr<const core::Aead> namespace_cipher(std::string_view ns) const;

 private:
  enum class View { edge, authoritative, stale };
  Result<std::optional<Entry>> read(std::string_view ns, std::string_view key, std::string_view location,
                                    int64_t now_ms, int64_t delay_ms, View view);
  Result<ListResult> list_view(std::string_view ns, const ListOptions& opts, std::string_view location,
                               int64_t now_ms, View view);
  // Writes a new current version (value, or tombstone when `value` is null).
  Status write(const OpContext& ctx, std::string_view ns, std::string_view key,
               const std::string* value, std::string_view metadata, int64_t expiration,
               bool everywhere);
  // The record stored under `skey`, opened with `aead` when sealed (into `buf`, which the view
  // then points into). nullopt for bytes that do not decode (STORE_CORRUPT at the call site).
  Result<std::optional<RecordView>> decode(std::string_view skey, std::string_view raw,
                                           const core::Aead* aead, std::string& buf) const;
  std::string encode(std::string_view skey, const core::Aead* aead, int64_t created,
                     const VersionView& cur, const VersionView* prev,
                     const VersionView* own = nullptr) const;
  Status take_rate_slot(const OpContext& ctx, std::string_view ns, std::string_view key, bool is_put);
  void release_rate_slot(std::string_view ns, std::string_view key, int64_t now_ms);

  store::Lmdb& db_;
  mutable std::shared_mutex opts_mu_;
  Options opts_;
  std::map<std::string, NamespaceOptions, std::less<>> ns_opts_;
  core::CipherTable ciphers_;
  EdgeCache cache_;
  std::mutex rate_mu_;
  std::unordered_map<std::string, int64_t> last_write_ms_;  // ns \0 key → last accepted write
  std::mutex sweep_mu_;     // one sweep at a time
  std::string sweep_after_;  // guarded by sweep_mu_: where the next bounded sweep resumes
};

}  // namespace era::kv
