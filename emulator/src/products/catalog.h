#pragma once
// Declared storage products (issue 8): what `era-emu.json` says buckets, KV stores and D1
// databases are. Parsed and validated once at start (products/config.cpp), immutable afterwards,
// read by the engines' wiring (app/emulator.cpp), the HTTP layer (access, signed URLs, --strict)
// and GET /_emu/config. Knows nothing of HTTP or storage.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace era::products {

// "encryption": {"secret": "env:NAME" | "file:PATH"} — the reference, never the secret itself.
struct EncryptionSpec {
  std::string secret_ref;
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
  std::string name;
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
  std::optional<int64_t> ttl_seconds;           // default expiration for writes that give none
  std::optional<int64_t> propagation_delay_ms;  // "propagationDelayMs"; 0 = strong
  std::optional<EncryptionSpec> encryption;
};

struct D1Spec {
  std::string name;
  std::string migrations_dir;  // absolute (resolved against the config file's folder); empty = none
};

struct Catalog {
  std::string source;  // absolute path of the config file; empty when none was found
  bool strict = false;  // --strict: undeclared namespaces are 404
  std::vector<BucketSpec> buckets;
  std::vector<KvSpec> kv;
  std::vector<D1Spec> d1;

  const BucketSpec* bucket(std::string_view name) const;
  const KvSpec* kv_store(std::string_view name) const;
  const D1Spec* database(std::string_view name) const;
  // Under --strict, is this namespace declared? Always true when not strict.
  bool allows(std::string_view service, std::string_view name) const;  // service: "kv"|"r2"|"d1"
  nlohmann::json to_json() const;  // GET /_emu/config: effective declarations, secrets as references
};

// Reads `path` (JSON; // and /* */ comments allowed). Errors name the file, the field and the fix,
// e.g. "era-emu.json: buckets[0].deleteAfterDays: must be a whole number of days >= 1 (got -3)".
Result<Catalog> load_catalog(const std::string& path);
// The file to use: `explicit_path` if given (must exist), else ./era-emu.json if present, else none.
Result<std::optional<std::string>> find_config(const std::string& explicit_path);

}  // namespace era::products
