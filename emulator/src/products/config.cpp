// era-emu.json: read, strip comments, parse, validate into a Catalog. Every problem is
// reported (not only the first), each as "<file>: <field>: <what is wrong and the fix>".
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/json_depth.h"
#include "core/names.h"
#include "products/catalog.h"
#include "products/jsonc.h"
#include "products/wrangler.h"

namespace era::products {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int64_t kMaxDays = 100000;                  // keeps days * 86,400,000 ms far from overflow
constexpr int64_t kMaxTtlSeconds = int64_t(1) << 40;  // ~35,000 years
constexpr int64_t kMinTtlSeconds = 60;                // KV's minimum expirationTtl
constexpr int64_t kMinRandomSecretBytes = 16, kMaxRandomSecretBytes = 1024;

// Layeron declaration fields with no local meaning: accepted (so Layeron declarations validate
// unchanged) and ignored; docs/layeron.md says so.
#define LAYERON_IGNORED "binding", "metadata", "observability", "placement", "shared"

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string dq(std::string_view s) {  // (not "\"" + s: a GCC 12 -Wstringop-overflow false positive)
  std::string out(1, '"');
  out.append(s);
  out.push_back('"');
  return out;
}

class Checker {
 public:
  Checker(std::string file, fs::path base) : file_(std::move(file)), base_(std::move(base)) {}

  void problem(const std::string& field, const std::string& what) {
    problems_.push_back(file_ + ": " + field + ": " + what);
  }
  const std::vector<std::string>& problems() const { return problems_; }
  const fs::path& base() const { return base_; }

  // Unknown fields are errors, with the closest known name when it is a likely typo.
  void known_fields(const json& obj, const std::string& path, std::initializer_list<std::string_view> allowed,
                    std::string_view section = {}) {
    for (const auto& [k, v] : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string field = path.empty() ? k : path + "." + k;
      if (k == "encryption" && section == "d1") {
        problem(field, "encryption at rest is not supported for D1 databases; remove the field");
        continue;
      }
      std::string_view best;
      size_t best_d = std::numeric_limits<size_t>::max();
      for (auto a : allowed) {
        size_t d = edit_distance(k, a);
        if (d < best_d) best_d = d, best = a;
      }
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      if (!best.empty() && best_d <= std::max<size_t>(2, best.size() / 3))
        problem(field, "unknown field; did you mean " + dq(best) + "?");
      else
        problem(field, "unknown field (allowed here: " + list + ")");
    }
  }

  // A whole number in [lo, hi]; nullopt (after reporting) otherwise.
  std::optional<int64_t> integer(const json& v, const std::string& field, int64_t lo, int64_t hi,
                                 const std::string& unit) {
    bool ok = v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(hi));
    if (ok) {
      int64_t n = v.get<int64_t>();
      if (n >= lo && n <= hi) return n;
    }
    problem(field, "must be a whole number of " + unit + " >= " + std::to_string(lo) +
                       (hi < std::numeric_limits<int64_t>::max() ? " and <= " + std::to_string(hi) : "") +
                       " (got " + shown(v) + ")");
    return std::nullopt;
  }

  std::optional<std::string> string(const json& v, const std::string& field, std::string_view fix) {
    if (v.is_string() && !v.get_ref<const std::string&>().empty()) return v.get<std::string>();
    problem(field, "must be a non-empty string" + std::string(fix.empty() ? "" : ", ") +
                       std::string(fix) + " (got " + shown(v) + ")");
    return std::nullopt;
  }

  fs::path resolve(const std::string& p) const {
    fs::path path(p);
    path = (path.is_absolute() ? path : base_ / path).lexically_normal();
    return path.has_filename() ? path : path.parent_path();  // "migrations/" -> ".../migrations"
  }

 private:
  std::string file_;
  fs::path base_;
  std::vector<std::string> problems_;
};

bool is_secret_name(std::string_view s) { return core::is_valid_name(s); }

bool is_env_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::optional<std::string> parse_secret_ref(Checker& ck, const json& v, const std::string& field) {
  if (v.is_object()) {  // Layeron's SecretRef {"kind": "secret_ref", "name": "vault-aes-key"}
    ck.known_fields(v, field, {"kind", "name"});
    if (v.value("kind", json()) != "secret_ref") {
      ck.problem(field + ".kind", "must be \"secret_ref\" (got " + shown(v.value("kind", json())) + ")");
      return std::nullopt;
    }
    auto name = v.find("name");
    if (name == v.end() || !name->is_string() || !is_secret_name(name->get_ref<const std::string&>())) {
      ck.problem(field + ".name", "must name a secret: 1-63 characters of A-Z, a-z, 0-9, '_' and '-' (got " +
                                      (name == v.end() ? std::string("nothing") : shown(*name)) + ")");
      return std::nullopt;
    }
    return "secret:" + name->get<std::string>();
  }
  std::string ref = v.is_string() ? v.get<std::string>() : std::string();
  if (ref.starts_with("env:") && is_env_name(std::string_view(ref).substr(4))) return ref;
  if (ref.starts_with("file:") && ref.size() > 5) return "file:" + ck.resolve(ref.substr(5)).string();
  if (ref.starts_with("env:"))
    ck.problem(field, "\"env:\" must be followed by an environment variable name ([A-Za-z_][A-Za-z0-9_]*), e.g. \"env:AVATARS_KEY\"");
  else if (ref.starts_with("file:"))
    ck.problem(field, "\"file:\" must be followed by a path, e.g. \"file:secrets/avatars.key\"");
  else
    ck.problem(field, "must be a reference, \"env:NAME\", \"file:PATH\" or {\"kind\": \"secret_ref\", \"name\": ...} — "
                      "never the secret itself (got " + (v.is_string() ? std::string("a string without either prefix") : shown(v)) + ")");
  return std::nullopt;
}

std::optional<EncryptionSpec> parse_encryption(Checker& ck, const json& v, const std::string& path) {
  if (!v.is_object()) {
    ck.problem(path, "must be an object {\"secret\": \"env:NAME\" | \"file:PATH\"} (got " + shown(v) + ")");
    return std::nullopt;
  }
  ck.known_fields(v, path, {"secret", "algorithm", "mode"});
  // Layeron's StorageEncryptionOptions: the one algorithm and mode it documents are what
  // era-emu does (AES-256-GCM, keys managed by the store); anything else would be a silent lie.
  if (auto a = v.find("algorithm"); a != v.end() && *a != "aes-gcm-256")
    ck.problem(path + ".algorithm", "only \"aes-gcm-256\" is supported (got " + shown(*a) + ")");
  if (auto m = v.find("mode"); m != v.end() && *m != "managed")
    ck.problem(path + ".mode", "only \"managed\" is supported (got " + shown(*m) + ")");
  auto it = v.find("secret");
  if (it == v.end()) {
    ck.problem(path + ".secret", "missing; give a reference such as \"env:AVATARS_KEY\", \"file:secrets/avatars.key\" "
                                 "or {\"kind\": \"secret_ref\", \"name\": \"avatars-key\"}");
    return std::nullopt;
  }
  auto ref = parse_secret_ref(ck, *it, path + ".secret");
  if (!ref) return std::nullopt;
  return EncryptionSpec{*ref};
}

// http(s)://host[:port] with no path, query or credentials; a single trailing '/' is dropped.
std::optional<std::string> parse_host_url(Checker& ck, const json& v, const std::string& field) {
  const std::string fix = "must be http(s)://host[:port] with no path, e.g. \"https://cdn.example.com\"";
  auto bad = [&](const std::string& why) {
    ck.problem(field, fix + " (got " + shown(v) + why + ")");
    return std::nullopt;
  };
  if (!v.is_string()) return bad("");
  std::string url = v.get<std::string>();
  if (url.ends_with('/')) url.pop_back();
  std::string_view rest = url;
  if (rest.starts_with("https://")) rest.remove_prefix(8);
  else if (rest.starts_with("http://")) rest.remove_prefix(7);
  else return bad(": missing http:// or https://");
  if (rest.find_first_of("/?#@") != std::string_view::npos) return bad(": drop the path, query or credentials");
  std::string_view host = rest, port;
  size_t colon = rest.starts_with('[') ? rest.find("]:") : rest.rfind(':');
  if (colon != std::string_view::npos) {
    size_t sep = rest.starts_with('[') ? colon + 1 : colon;
    host = rest.substr(0, sep);
    port = rest.substr(sep + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
      return bad(": the port must be 1-65535");
  }
  bool host_ok = host.starts_with('[') ? host.size() > 2 && host.ends_with(']')
                                       : !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
                                           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
                                         });
  if (!host_ok) return bad(": not a host name");
  return url;
}

// Layeron's namespace ("auth") turns the name into "auth__user-sessions"; "default" or none
// keeps the name as it is. The identity is Layeron's "namespace/name".
constexpr std::string_view kNamespaceJoin = "__";

// The common part of every entry: an object with a valid "name" (and "namespace") whose store
// name is unique within the section.
struct EntryName {
  std::string name, identity;
};
std::optional<EntryName> entry_name(Checker& ck, const json& e, const std::string& path,
                                    const std::vector<std::pair<std::string, std::string>>& seen) {
  auto it = e.find("name");
  if (it == e.end()) {
    ck.problem(path + ".name", "missing; every entry needs a \"name\"");
    return std::nullopt;
  }
  if (!it->is_string() || !core::is_valid_name(it->get_ref<const std::string&>())) {
    ck.problem(path + ".name", "must be 1-63 characters of A-Z, a-z, 0-9, '_' and '-' (got " + shown(*it) + ")");
    return std::nullopt;
  }
  EntryName out{it->get<std::string>(), ""};
  std::string ns = "default";
  if (auto n = e.find("namespace"); n != e.end()) {
    if (!n->is_string() || !core::is_valid_name(n->get_ref<const std::string&>())) {
      ck.problem(path + ".namespace", "must be 1-63 characters of A-Z, a-z, 0-9, '_' and '-' (got " + shown(*n) + ")");
      return std::nullopt;
    }
    ns = n->get<std::string>();
    if (ns == "layeron") {
      ck.problem(path + ".namespace", "\"layeron\" is reserved for Layeron's own dependencies; choose another");
      return std::nullopt;
    }
  }
  out.identity = ns + "/" + out.name;
  if (ns != "default") {
    out.name = ns + std::string(kNamespaceJoin) + out.name;
    if (!core::is_valid_name(out.name)) {
      ck.problem(path, "namespace and name together (" + dq(out.name) + ") exceed era-emu's 63 characters; shorten one");
      return std::nullopt;
    }
  }
  for (const auto& [other, where] : seen)
    if (other == out.name) {
      ck.problem(path + ".name", "duplicate name " + dq(out.name) + " (already declared at " + where +
                                     "); names must be unique within a section");
      return std::nullopt;
    }
  return out;
}

template <class Spec, class Fn>
void section(Checker& ck, const json& doc, const char* key, std::vector<Spec>& out, Fn parse_entry) {
  auto it = doc.find(key);
  if (it == doc.end()) return;
  if (!it->is_array()) {
    ck.problem(key, "must be an array of objects, e.g. \"" + std::string(key) + "\": [{\"name\": \"...\"}] (got " +
                        shown(*it) + ")");
    return;
  }
  std::vector<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    std::string path = std::string(key) + "[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      ck.problem(path, "must be an object with at least a \"name\" (got " + shown(e) + ")");
      continue;
    }
    auto name = entry_name(ck, e, path, seen);
    Spec spec;
    if (name) {
      spec.name = name->name;
      spec.identity = name->identity;
      seen.emplace_back(name->name, path);
    }
    parse_entry(e, path, spec);
    if (name) out.push_back(std::move(spec));
  }
}

// A list of strings, each non-empty.
std::vector<std::string> strings(Checker& ck, const json& v, const std::string& field) {
  std::vector<std::string> out;
  if (!v.is_array()) {
    ck.problem(field, "must be an array of strings (got " + shown(v) + ")");
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i)
    if (auto s = ck.string(v[i], field + "[" + std::to_string(i) + "]", "")) out.push_back(*s);
  return out;
}

// "cors": [rule, ...] or {"rules": [...]}; each rule in R2's shape
// {"allowed": {"origins", "methods", "headers"}, "exposeHeaders", "maxAgeSeconds"} or S3's
// {"AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders", "MaxAgeSeconds"}.
std::vector<CorsRule> parse_cors(Checker& ck, const json& v, const std::string& path) {
  std::vector<CorsRule> out;
  const json* rules = &v;
  if (v.is_object() && v.contains("rules")) {
    ck.known_fields(v, path, {"rules"});
    rules = &v["rules"];
  }
  if (!rules->is_array()) {
    ck.problem(path, "must be an array of CORS rules such as {\"allowed\": {\"origins\": [\"http://localhost:3000\"], "
                     "\"methods\": [\"GET\", \"PUT\"]}} (got " + shown(v) + ")");
    return out;
  }
  static const std::vector<std::string> kMethods = {"GET", "PUT", "POST", "DELETE", "HEAD"};
  for (size_t i = 0; i < rules->size(); ++i) {
    const json& r = (*rules)[i];
    std::string at = path + "[" + std::to_string(i) + "]";
    if (!r.is_object()) {
      ck.problem(at, "must be an object (got " + shown(r) + ")");
      continue;
    }
    CorsRule rule;
    auto list = [&](const json& obj, const char* name, const std::string& where) {
      auto it = obj.find(name);
      return it == obj.end() ? std::vector<std::string>{} : strings(ck, *it, where + "." + name);
    };
    if (r.contains("AllowedOrigins") || r.contains("AllowedMethods")) {
      ck.known_fields(r, at, {"ID", "AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders", "MaxAgeSeconds"});
      rule.origins = list(r, "AllowedOrigins", at);
      rule.methods = list(r, "AllowedMethods", at);
      rule.headers = list(r, "AllowedHeaders", at);
      rule.expose = list(r, "ExposeHeaders", at);
      if (auto it = r.find("MaxAgeSeconds"); it != r.end())
        rule.max_age_seconds = ck.integer(*it, at + ".MaxAgeSeconds", 0, 86400, "seconds");
    } else {
      ck.known_fields(r, at, {"id", "allowed", "exposeHeaders", "maxAgeSeconds"});
      auto allowed = r.find("allowed");
      if (allowed == r.end() || !allowed->is_object()) {
        ck.problem(at + ".allowed", "missing; give {\"origins\": [...], \"methods\": [...], \"headers\"?: [...]}");
        continue;
      }
      ck.known_fields(*allowed, at + ".allowed", {"origins", "methods", "headers"});
      rule.origins = list(*allowed, "origins", at + ".allowed");
      rule.methods = list(*allowed, "methods", at + ".allowed");
      rule.headers = list(*allowed, "headers", at + ".allowed");
      rule.expose = list(r, "exposeHeaders", at);
      if (auto it = r.find("maxAgeSeconds"); it != r.end())
        rule.max_age_seconds = ck.integer(*it, at + ".maxAgeSeconds", 0, 86400, "seconds");
    }
    if (rule.origins.empty()) ck.problem(at, "allows no origin; list at least one (or \"*\")");
    if (rule.methods.empty()) ck.problem(at, "allows no method; list at least one of GET, PUT, POST, DELETE, HEAD");
    for (const auto& o : rule.origins)
      if (std::count(o.begin(), o.end(), '*') > 1) ck.problem(at, "origin \"" + o + "\" may hold one '*' wildcard at most");
    for (auto& m : rule.methods) {
      for (char& c : m) c = char(std::toupper(static_cast<unsigned char>(c)));
      if (std::find(kMethods.begin(), kMethods.end(), m) == kMethods.end())
        ck.problem(at, "method \"" + m + "\" is not one of GET, PUT, POST, DELETE, HEAD");
    }
    out.push_back(std::move(rule));
  }
  return out;
}

void parse_bucket(Checker& ck, const json& e, const std::string& path, BucketSpec& b) {
  ck.known_fields(e, path, {"name", "namespace", "access", "deleteAfterDays", "lifecycle", "abortMultipartAfterDays",
                            "encryption", "signedUrlHost", "maxObjectSize", "cors", LAYERON_IGNORED});
  if (auto it = e.find("cors"); it != e.end()) b.cors = parse_cors(ck, *it, path + ".cors");
  if (auto it = e.find("access"); it != e.end()) {
    if (*it == "public") b.is_public = true;
    else if (*it != "private")
      ck.problem(path + ".access", "must be \"private\" (the default) or \"public\" (got " + shown(*it) + ")");
  }
  if (auto it = e.find("deleteAfterDays"); it != e.end())
    b.delete_after_days = ck.integer(*it, path + ".deleteAfterDays", 1, kMaxDays, "days");
  if (auto it = e.find("lifecycle"); it != e.end()) {  // Layeron's StorageLifecycleOptions
    if (!it->is_object()) {
      ck.problem(path + ".lifecycle", "must be an object {\"deleteAfterDays\": N} (got " + shown(*it) + ")");
    } else {
      ck.known_fields(*it, path + ".lifecycle", {"deleteAfterDays"});
      if (e.contains("deleteAfterDays") && it->contains("deleteAfterDays"))
        ck.problem(path + ".lifecycle.deleteAfterDays", "given twice (also at " + path + ".deleteAfterDays); keep one");
      else if (auto d = it->find("deleteAfterDays"); d != it->end())
        b.delete_after_days = ck.integer(*d, path + ".lifecycle.deleteAfterDays", 1, kMaxDays, "days");
    }
  }
  if (auto it = e.find("abortMultipartAfterDays"); it != e.end())
    b.abort_multipart_after_days = ck.integer(*it, path + ".abortMultipartAfterDays", 1, kMaxDays, "days");
  if (auto it = e.find("encryption"); it != e.end()) b.encryption = parse_encryption(ck, *it, path + ".encryption");
  if (auto it = e.find("signedUrlHost"); it != e.end())
    b.signed_url_host = parse_host_url(ck, *it, path + ".signedUrlHost").value_or("");
  if (auto it = e.find("maxObjectSize"); it != e.end()) {
    if (auto n = ck.integer(*it, path + ".maxObjectSize", 1, std::numeric_limits<int64_t>::max(), "bytes"))
      b.max_object_size = uint64_t(*n);
  }
}

void parse_kv(Checker& ck, const json& e, const std::string& path, KvSpec& k) {
  ck.known_fields(e, path, {"name", "namespace", "ttlSeconds", "propagationDelayMs", "encryption", LAYERON_IGNORED});
  if (auto it = e.find("ttlSeconds"); it != e.end())
    k.ttl_seconds = ck.integer(*it, path + ".ttlSeconds", kMinTtlSeconds, kMaxTtlSeconds, "seconds");
  if (auto it = e.find("propagationDelayMs"); it != e.end())
    k.propagation_delay_ms = ck.integer(*it, path + ".propagationDelayMs", 0, kMaxTtlSeconds, "milliseconds");
  if (auto it = e.find("encryption"); it != e.end()) k.encryption = parse_encryption(ck, *it, path + ".encryption");
}

void parse_d1(Checker& ck, const json& e, const std::string& path, D1Spec& d) {
  ck.known_fields(e, path, {"name", "namespace", "migrations", "migrationsTable"}, "d1");
  if (auto t = e.find("migrationsTable"); t != e.end()) {
    static const auto plain = [](const std::string& s) {
      return !s.empty() && s.size() <= 63 && !std::isdigit(static_cast<unsigned char>(s[0])) &&
             std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    };
    if (t->is_string() && plain(t->get<std::string>())) d.migrations_table = t->get<std::string>();
    else ck.problem(path + ".migrationsTable", "must be a plain SQL table name ([A-Za-z_][A-Za-z0-9_]*, <= 63) (got " + shown(*t) + ")");
  }
  auto it = e.find("migrations");
  if (it == e.end()) return;
  const std::string field = path + ".migrations";
  auto dir = ck.string(*it, field, "a folder of *.sql files relative to the config file");
  if (!dir) return;
  fs::path p = ck.resolve(*dir);
  std::error_code ec;
  if (!fs::is_directory(p, ec))
    ck.problem(field, "folder " + p.string() + (fs::exists(p, ec) ? " is not a directory" : " does not exist") +
                          "; create it or fix the path (relative paths start at the config file's folder)");
  else
    d.migrations_dir = p.string();
}

// "secrets": {"vault-aes-key": "env:NAME" | "file:PATH" | {"random": {"bytes": 32}}}
void parse_secrets(Checker& ck, const json& v, std::map<std::string, SecretSpec>& out) {
  if (!v.is_object()) {
    ck.problem("secrets", "must be an object mapping secret names to \"env:NAME\", \"file:PATH\" or "
                          "{\"random\": {\"bytes\": 32}} (got " + shown(v) + ")");
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string field = "secrets." + it.key();
    if (!is_secret_name(it.key())) {
      ck.problem(field, "a secret name is 1-63 characters of A-Z, a-z, 0-9, '_' and '-'");
      continue;
    }
    const json& s = it.value();
    SecretSpec spec;
    if (s.is_object() && s.contains("random")) {
      ck.known_fields(s, field, {"random"});
      const json& r = s["random"];
      spec.random_bytes = 32;  // Layeron's secret.random default
      if (!r.is_object()) {
        ck.problem(field + ".random", "must be an object {\"bytes\"?: 32} (got " + shown(r) + ")");
        continue;
      }
      ck.known_fields(r, field + ".random", {"bytes"});
      if (auto b = r.find("bytes"); b != r.end()) {
        auto n = ck.integer(*b, field + ".random.bytes", kMinRandomSecretBytes, kMaxRandomSecretBytes, "bytes");
        if (!n) continue;
        spec.random_bytes = *n;
      }
    } else if (s.is_string()) {
      auto ref = parse_secret_ref(ck, s, field);
      if (!ref) continue;
      if (ref->starts_with("secret:")) {
        ck.problem(field, "a secret cannot name another secret");
        continue;
      }
      spec.ref = *ref;
    } else {
      ck.problem(field, "must be \"env:NAME\", \"file:PATH\" or {\"random\": {\"bytes\": 32}} (got " + shown(s) + ")");
      continue;
    }
    out[it.key()] = std::move(spec);
  }
}

}  // namespace

Result<Catalog> parse_catalog(const json& doc, const std::string& label, const fs::path& base_dir) {
  auto invalid = [&](const std::string& msg, std::vector<std::string> problems = {}) {
    if (problems.empty()) problems.push_back(msg);
    return fail(Error(Code::CONFIG_INVALID, msg).with_details({{"file", label}, {"problems", problems}}));
  };
  if (!doc.is_object())
    return invalid(label + ": the top level must be an object {\"buckets\": [...], \"kv\": [...], \"d1\": [...]}");
  Checker ck(label, base_dir);
  ck.known_fields(doc, "", {"$schema", "buckets", "kv", "d1", "secrets"});
  Catalog c;
  section(ck, doc, "buckets", c.buckets, [&](const json& e, const std::string& p, BucketSpec& b) { parse_bucket(ck, e, p, b); });
  section(ck, doc, "kv", c.kv, [&](const json& e, const std::string& p, KvSpec& k) { parse_kv(ck, e, p, k); });
  section(ck, doc, "d1", c.d1, [&](const json& e, const std::string& p, D1Spec& d) { parse_d1(ck, e, p, d); });
  if (auto it = doc.find("secrets"); it != doc.end()) parse_secrets(ck, *it, c.secrets);
  if (!ck.problems().empty()) {
    std::string msg;
    for (const auto& p : ck.problems()) msg += (msg.empty() ? "" : "\n") + p;
    return invalid(msg, ck.problems());
  }
  return c;
}

namespace {

bool is_wrangler_file(const fs::path& p) {
  std::string name = p.filename().string();
  return p.extension() == ".toml" || name.starts_with("wrangler.");
}

// era-emu.json's entries refine the wrangler file's of the same name (same section); new names
// are added.
void refine(json& base, const json& over) {
  for (const char* key : {"buckets", "kv", "d1"}) {
    auto o = over.find(key);
    if (o == over.end()) continue;
    if (!o->is_array() || !base.contains(key)) {
      base[key] = *o;  // the checker reports a wrong shape
      continue;
    }
    for (const auto& e : *o) {
      json* same = nullptr;
      if (e.is_object() && e.contains("name"))
        for (auto& b : base[key])
          if (b.value("name", json()) == e["name"]) same = &b;
      if (same) same->update(e);
      else base[key].push_back(e);
    }
  }
  for (auto it = over.begin(); it != over.end(); ++it)
    if (it.key() != "buckets" && it.key() != "kv" && it.key() != "d1") base[it.key()] = it.value();
}

}  // namespace

Result<Catalog> load_catalog(const std::string& path, const std::string& wrangler_env) {
  auto invalid = [&](const std::string& msg) {
    return fail(Error(Code::CONFIG_INVALID, msg).with_details({{"file", path}, {"problems", {msg}}}));
  };
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  abs = abs.lexically_normal();
  json doc;
  std::string wrangler;
  if (is_wrangler_file(abs)) {
    auto w = read_wrangler(abs.string(), wrangler_env);
    if (!w) return fail(w.error());
    doc = std::move(*w);
    wrangler = abs.string();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return invalid(path + ": cannot open the file (check the path given with --config)");
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = strip_json_comments(ss.str());
    if (!text) return invalid(path + ": " + text.error().message);
    if (auto deep = core::check_json_depth(*text, "the file"); !deep) return invalid(path + ": " + deep.error().message);
    try {
      doc = json::parse(*text);
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      if (size_t p = what.find("] "); what.starts_with("[json.exception") && p != std::string::npos)
        what = what.substr(p + 2);
      return invalid(path + ": not valid JSON (comments are allowed, trailing commas are not): " + what);
    }
    if (doc.is_object() && doc.contains("wrangler")) {
      // "wrangler": "wrangler.toml" or {"config": "wrangler.toml", "environment": "staging"}
      const json& w = doc["wrangler"];
      std::string file, env = wrangler_env;
      if (w.is_string()) file = w.get<std::string>();
      else if (w.is_object() && w.contains("config") && w["config"].is_string()) {
        file = w["config"].get<std::string>();
        for (auto it = w.begin(); it != w.end(); ++it)
          if (it.key() != "config" && it.key() != "environment")
            return invalid(path + ": wrangler." + it.key() + ": unknown field (allowed here: config, environment)");
        if (auto e = w.find("environment"); e != w.end()) {
          if (!e->is_string()) return invalid(path + ": wrangler.environment: must be a string");
          if (env.empty()) env = e->get<std::string>();
        }
      }
      if (file.empty())
        return invalid(path + ": wrangler: must be a path (\"wrangler.toml\") or {\"config\": PATH, \"environment\"?: NAME}");
      fs::path wp = fs::path(file).is_absolute() ? fs::path(file) : abs.parent_path() / file;
      wp = wp.lexically_normal();
      if (!fs::is_regular_file(wp, ec))
        return invalid(path + ": wrangler: " + wp.string() + " does not exist (relative paths start at the config file's folder)");
      auto wdoc = read_wrangler(wp.string(), env);
      if (!wdoc) return fail(wdoc.error());
      doc.erase("wrangler");
      json merged = std::move(*wdoc);
      refine(merged, doc);
      doc = std::move(merged);
      wrangler = wp.string();
    }
  }
  auto c = parse_catalog(doc, path, abs.parent_path());
  if (!c) return c;
  c->source = abs.string();
  c->wrangler = wrangler;
  return c;
}

Result<std::optional<std::string>> find_config(const std::string& explicit_path) {
  std::error_code ec;
  if (!explicit_path.empty()) {
    if (!fs::is_regular_file(explicit_path, ec))
      return fail(Error(Code::CONFIG_INVALID, "--config " + explicit_path +
                                                  (fs::exists(explicit_path, ec) ? ": not a regular file"
                                                                                 : ": no such file"))
                      .with_details({{"file", explicit_path}}));
    return std::optional<std::string>(explicit_path);
  }
  fs::path cwd = fs::current_path(ec);
  if (ec) return std::optional<std::string>();
  for (const char* name : {"era-emu.json", "wrangler.jsonc", "wrangler.json", "wrangler.toml"}) {
    fs::path candidate = cwd / name;
    if (fs::is_regular_file(candidate, ec)) return std::optional<std::string>(candidate.string());
  }
  return std::optional<std::string>();
}

}  // namespace era::products
