// Catalog lookups and its JSON view (GET /_emu/config).
#include "products/catalog.h"

#include <algorithm>

namespace era::products {
namespace {

template <class Spec>
const Spec* find_named(const std::vector<Spec>& specs, std::string_view name) {
  auto it = std::find_if(specs.begin(), specs.end(), [&](const Spec& s) { return s.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json encryption_json(const std::optional<EncryptionSpec>& e) {
  if (!e) return nullptr;
  return {{"secret", e->secret_ref}};  // the reference only: never the secret
}

}  // namespace

const BucketSpec* Catalog::bucket(std::string_view name) const { return find_named(buckets, name); }
const KvSpec* Catalog::kv_store(std::string_view name) const { return find_named(kv, name); }
const D1Spec* Catalog::database(std::string_view name) const { return find_named(d1, name); }

bool Catalog::allows(std::string_view service, std::string_view name) const {
  if (!strict) return true;
  if (service == "kv") return kv_store(name) != nullptr;
  if (service == "r2") return bucket(name) != nullptr;
  if (service == "d1") return database(name) != nullptr;
  return true;  // not a namespaced storage service
}

nlohmann::json cors_json(const std::vector<CorsRule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules)
    out.push_back({{"allowed", {{"origins", r.origins}, {"methods", r.methods}, {"headers", r.headers}}},
                   {"exposeHeaders", r.expose},
                   {"maxAgeSeconds", opt(r.max_age_seconds)}});
  return out;
}

nlohmann::json Catalog::to_json() const {
  nlohmann::json out = {{"source", source.empty() ? nlohmann::json(nullptr) : nlohmann::json(source)},
                        {"strict", strict},
                        {"buckets", nlohmann::json::array()},
                        {"kv", nlohmann::json::array()},
                        {"d1", nlohmann::json::array()}};
  for (const auto& b : buckets)
    out["buckets"].push_back({{"name", b.name},
                              {"access", b.is_public ? "public" : "private"},
                              {"deleteAfterDays", opt(b.delete_after_days)},
                              {"abortMultipartAfterDays", opt(b.abort_multipart_after_days)},
                              {"encryption", encryption_json(b.encryption)},
                              {"signedUrlHost", b.signed_url_host.empty() ? nlohmann::json(nullptr)
                                                                          : nlohmann::json(b.signed_url_host)},
                              {"maxObjectSize", opt(b.max_object_size)},
                              {"cors", cors_json(b.cors)}});
  for (const auto& k : kv)
    out["kv"].push_back({{"name", k.name},
                         {"ttlSeconds", opt(k.ttl_seconds)},
                         {"propagationDelayMs", opt(k.propagation_delay_ms)},
                         {"encryption", encryption_json(k.encryption)}});
  for (const auto& d : d1)
    out["d1"].push_back({{"name", d.name},
                         {"migrations", d.migrations_dir.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(d.migrations_dir)}});
  return out;
}

}  // namespace era::products
