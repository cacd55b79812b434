#pragma once
// Declared storage products (issue 8): what `era-emu.json` (or a wrangler file, issue 15) says
// buckets, KV stores and D1 databases are. Parsed and validated at start (products/config.cpp);
// a Catalog value is immutable once published: run-time declarations (POST /_emu/declarations)
// publish a new one through Declarations below. Read by the engines' wiring (app/), the HTTP
// layer (access, signed URLs, --strict) and GET /_emu/config. Knows nothing of HTTP or storage.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace era::products {

// "encryption": {"secret": "env:NAME" | "file:PATH" | {"kind": "secret_ref", "name": N}} — the
// reference, never the secret itself. A SecretRef is kept as "secret:N" until the app resolves
// it (app/products.cpp: the "secrets" section, else the environment variable N in UPPER_SNAKE).
// "algorithm" (only "aes-gcm-256") and "mode" (only "managed") are Layeron's and checked.
struct EncryptionSpec {
  std::string secret_ref;
};

// "secrets": {"vault-aes-key": "env:NAME" | "file:PATH" | {"random": {"bytes": 32}}} — what a
// SecretRef names. A random secret is generated once per data directory and kept in it.
struct SecretSpec {
  std::string ref;            // "env:NAME" | "file:PATH" (absolute); empty when random
  int64_t random_bytes = 0;   // > 0: generate this many random bytes (Layeron's secret.random)
};

// One CORS rule of a bucket, R2's shape: which browser origins may use its public and signed
// links, with which methods and request headers; what response headers they may read; how long
// a preflight answer may be cached. Origins are exact, "*", or hold one '*' wildcard.
struct CorsRule {
  std::vector<std::string> origins;
  std::vector<std::string> methods;  // GET, PUT, POST, DELETE, HEAD
  std::vector<std::string> headers;  // allowed request headers; "*" = any
  std::vector<std::string> expose;   // response headers exposed to the page
  std::optional<int64_t> max_age_seconds;
};

struct BucketSpec {
  std::string name;                                   // the store's name ("namespace__name" when namespaced)
  std::string identity;                               // Layeron's "namespace/name"; "default/name" without one
  bool is_public = false;                             // "access": "public" | "private" (default)
  std::optional<int64_t> delete_after_days;           // lifecycle: objects older than this vanish
  std::optional<int64_t> abort_multipart_after_days;  // default: the engine's 7 days
  std::optional<EncryptionSpec> encryption;
  std::string signed_url_host;                        // "https://cdn.example.com"; empty = emulator's URL
  std::optional<uint64_t> max_object_size;            // bytes ("maxObjectSize")
  std::vector<CorsRule> cors;                         // "cors": links answer browsers per these rules
};

struct KvSpec {
  std::string name;
  std::string identity;
  std::optional<int64_t> ttl_seconds;           // default expiration for writes that give none
  std::optional<int64_t> propagation_delay_ms;  // "propagationDelayMs"; 0 = strong
  std::optional<EncryptionSpec> encryption;
};

struct D1Spec {
  std::string name;
  std::string identity;
  std::string migrations_dir;  // absolute (resolved against the config file's folder); empty = none
  std::string migrations_table = "d1_migrations";  // wrangler's migrations_table
};

struct Catalog {
  std::string source;    // absolute path of the config file; empty when none was found
  std::string wrangler;  // absolute path of the wrangler file the bindings came from; empty = none
  bool strict = false;   // --strict: undeclared namespaces are 404
  std::vector<BucketSpec> buckets;
  std::vector<KvSpec> kv;
  std::vector<D1Spec> d1;
  std::map<std::string, SecretSpec> secrets;

  const BucketSpec* bucket(std::string_view name) const;
  const KvSpec* kv_store(std::string_view name) const;
  const D1Spec* database(std::string_view name) const;
  // Under --strict, is this namespace declared? Always true when not strict.
  bool allows(std::string_view service, std::string_view name) const;  // service: "kv"|"r2"|"d1"
  nlohmann::json to_json() const;  // GET /_emu/config: effective declarations, secrets as references
};

// Reads `path`: era-emu.json (JSON; // and /* */ comments allowed; may name a wrangler file with
// "wrangler": "wrangler.toml" whose bindings it then refines), or a wrangler.toml /
// wrangler.jsonc / wrangler.json itself (bindings become declarations; products/wrangler.h).
// Errors name the file, the field and the fix,
// e.g. "era-emu.json: buckets[0].deleteAfterDays: must be a whole number of days >= 1 (got -3)".
// `wrangler_env` picks a wrangler environment ([env.NAME]) the way `wrangler --env` does.
Result<Catalog> load_catalog(const std::string& path, const std::string& wrangler_env = {});
// A declarations document already parsed (the run-time route): the same schema and checks,
// `label` naming it in errors, relative paths resolved against `base_dir`.
Result<Catalog> parse_catalog(const nlohmann::json& doc, const std::string& label,
                              const std::filesystem::path& base_dir);
// The file to use: `explicit_path` if given (must exist), else ./era-emu.json if present, else
// the first of ./wrangler.jsonc, ./wrangler.json, ./wrangler.toml, else none.
Result<std::optional<std::string>> find_config(const std::string& explicit_path);

// `next` merged into `base` (run-time declarations into the file's): entries whose name is new
// are added; an entry equal to the one declared is "unchanged" (Layeron: equal declarations
// share one resource); a different one is a DECLARATION_CONFLICT naming what differs.
struct MergeReport {
  struct Item {
    std::string service;  // "r2" | "kv" | "d1" | "secret"
    std::string name, identity;
    bool created = false;
  };
  std::vector<Item> items;
};
Result<MergeReport> merge_catalog(Catalog& base, const Catalog& next);

// The JSON view of one entry (GET /_emu/config, and equality of two declarations).
nlohmann::json entry_json(const BucketSpec& b);
nlohmann::json entry_json(const KvSpec& k);
nlohmann::json entry_json(const D1Spec& d);

// The published catalog. Readers get a pointer that stays valid for the emulator's life: a
// published catalog is never freed (run-time declarations that add something publish a new one;
// they are few), so readers need no reference counting and no lock — one atomic load.
class Declarations {
 public:
  explicit Declarations(Catalog c) { publish(std::make_shared<const Catalog>(std::move(c))); }
  const Catalog* get() const { return cur_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const Catalog> c) {
    std::lock_guard lock(mu_);
    kept_.push_back(c);
    cur_.store(c.get(), std::memory_order_release);
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<const Catalog>> kept_;
  std::atomic<const Catalog*> cur_{nullptr};
};

}  // namespace era::products
