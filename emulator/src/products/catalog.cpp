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

nlohmann::json entry_json(const BucketSpec& b) {
  return {{"name", b.name},
          {"identity", b.identity},
          {"access", b.is_public ? "public" : "private"},
          {"deleteAfterDays", opt(b.delete_after_days)},
          {"abortMultipartAfterDays", opt(b.abort_multipart_after_days)},
          {"encryption", encryption_json(b.encryption)},
          {"signedUrlHost", b.signed_url_host.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.signed_url_host)},
          {"maxObjectSize", opt(b.max_object_size)},
          {"cors", cors_json(b.cors)}};
}

nlohmann::json entry_json(const KvSpec& k) {
  return {{"name", k.name},
          {"identity", k.identity},
          {"ttlSeconds", opt(k.ttl_seconds)},
          {"propagationDelayMs", opt(k.propagation_delay_ms)},
          {"encryption", encryption_json(k.encryption)}};
}

nlohmann::json entry_json(const D1Spec& d) {
  return {{"name", d.name},
          {"identity", d.identity},
          {"migrations", d.migrations_dir.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.migrations_dir)},
          {"migrationsTable", d.migrations_table}};
}

namespace {

nlohmann::json secret_json(const SecretSpec& s) {
  if (s.random_bytes > 0) return {{"random", {{"bytes", s.random_bytes}}}};
  return s.ref;
}

// The fields of two entries' views that differ, e.g. ["access", "deleteAfterDays"].
std::vector<std::string> differing(const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<std::string> out;
  for (auto it = a.begin(); it != a.end(); ++it)
    if (!b.contains(it.key()) || b[it.key()] != it.value()) out.push_back(it.key());
  return out;
}

template <class Spec>
Status merge_section(std::vector<Spec>& base, const std::vector<Spec>& next, const char* service,
                     MergeReport& report, std::vector<std::string>& conflicts, nlohmann::json& details) {
  for (const auto& n : next) {
    auto same = std::find_if(base.begin(), base.end(), [&](const Spec& b) { return b.name == n.name; });
    if (same == base.end()) {
      base.push_back(n);
      report.items.push_back({service, n.name, n.identity, true});
      continue;
    }
    auto diff = differing(entry_json(*same), entry_json(n));
    if (diff.empty()) {
      report.items.push_back({service, n.name, n.identity, false});
      continue;
    }
    std::string fields;
    for (const auto& f : diff) fields += (fields.empty() ? "" : ", ") + f;
    conflicts.push_back(std::string(service) + " \"" + n.name + "\" is already declared with a different " + fields);
    details.push_back({{"service", service}, {"name", n.name}, {"fields", diff},
                       {"declared", entry_json(*same)}, {"requested", entry_json(n)}});
  }
  return {};
}

}  // namespace

Result<MergeReport> merge_catalog(Catalog& base, const Catalog& next) {
  MergeReport report;
  std::vector<std::string> conflicts;
  nlohmann::json details = nlohmann::json::array();
  Catalog merged = base;
  merge_section(merged.buckets, next.buckets, "r2", report, conflicts, details);
  merge_section(merged.kv, next.kv, "kv", report, conflicts, details);
  merge_section(merged.d1, next.d1, "d1", report, conflicts, details);
  for (const auto& [name, spec] : next.secrets) {
    auto it = merged.secrets.find(name);
    if (it == merged.secrets.end()) {
      merged.secrets[name] = spec;
      report.items.push_back({"secret", name, name, true});
    } else if (secret_json(it->second) != secret_json(spec)) {
      conflicts.push_back("secret \"" + name + "\" is already declared as " + secret_json(it->second).dump());
      details.push_back({{"service", "secret"}, {"name", name}, {"declared", secret_json(it->second)},
                         {"requested", secret_json(spec)}});
    } else {
      report.items.push_back({"secret", name, name, false});
    }
  }
  if (!conflicts.empty()) {
    std::string msg;
    for (const auto& c : conflicts) msg += (msg.empty() ? "" : "; ") + c;
    return fail(Error(Code::DECLARATION_CONFLICT, msg + " (equal declarations share one store; different ones are refused)")
                    .with_details({{"conflicts", details}}));
  }
  base = std::move(merged);
  return report;
}

nlohmann::json Catalog::to_json() const {
  nlohmann::json out = {{"source", source.empty() ? nlohmann::json(nullptr) : nlohmann::json(source)},
                        {"wrangler", wrangler.empty() ? nlohmann::json(nullptr) : nlohmann::json(wrangler)},
                        {"strict", strict},
                        {"buckets", nlohmann::json::array()},
                        {"kv", nlohmann::json::array()},
                        {"d1", nlohmann::json::array()},
                        {"secrets", nlohmann::json::object()}};
  for (const auto& b : buckets) out["buckets"].push_back(entry_json(b));
  for (const auto& k : kv) out["kv"].push_back(entry_json(k));
  for (const auto& d : d1) out["d1"].push_back(entry_json(d));
  for (const auto& [name, s] : secrets) out["secrets"][name] = secret_json(s);
  return out;
}

}  // namespace era::products
