#include "app/declarations.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "admin/migrations.h"
#include "app/encryption.h"
#include "app/products.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "products/secrets.h"
#include "store/paths.h"

namespace era::app {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string upper_snake(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? char(std::toupper(static_cast<unsigned char>(c))) : '_';
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(0, "_");
  return out;
}

// Writes `bytes` to `path` atomically (temp file, fsync, rename), with `mode`.
Status write_file(const fs::path& path, std::string_view bytes, mode_t mode) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(Code::STORE_IO, "cannot write " + tmp.string() + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return fail(Code::STORE_IO, "cannot write " + tmp.string() + ": " + std::strerror(err));
    }
    off += size_t(n);
  }
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) return fail(Code::STORE_IO, "cannot write " + path.string());
  return {};
}

Result<std::string> random_secret_file(const store::Paths& paths, const std::string& name, int64_t bytes) {
  fs::path dir = paths.secrets_dir();
  fs::path file = dir / name;
  std::error_code ec;
  if (fs::is_regular_file(file, ec)) return file.string();
  fs::create_directories(dir, ec);
  fs::permissions(dir, fs::perms::owner_all, ec);
  std::string secret = core::to_hex(core::random_bytes(size_t(bytes)));
  ERA_TRY(write_file(file, secret + "\n", 0600));
  std::fill(secret.begin(), secret.end(), '\0');
  log::info("secret \"", name, "\": generated ", bytes, " random bytes into ", file.string());
  return file.string();
}

template <class Spec>
Status resolve_section(std::vector<Spec>& specs, const products::Catalog& c, const store::Paths& paths) {
  for (auto& s : specs) {
    if (!s.encryption || !s.encryption->secret_ref.starts_with("secret:")) continue;
    std::string name = s.encryption->secret_ref.substr(7);
    auto it = c.secrets.find(name);
    if (it == c.secrets.end()) {
      s.encryption->secret_ref = "env:" + upper_snake(name);
    } else if (it->second.random_bytes > 0) {
      auto file = random_secret_file(paths, name, it->second.random_bytes);
      if (!file) return fail(file.error());
      s.encryption->secret_ref = "file:" + *file;
    } else {
      s.encryption->secret_ref = it->second.ref;
    }
  }
  return {};
}

// The part of `doc` naming one entry of `section` (with every secret, which entries may name).
json single(const json& doc, const char* section, const json& entry) {
  json one = {{section, json::array({entry})}};
  if (doc.contains("secrets")) one["secrets"] = doc["secrets"];
  return one;
}

Result<json> read_persisted(const store::Paths& paths) {
  std::error_code ec;
  if (!fs::is_regular_file(paths.declarations_file(), ec)) return json::object();
  std::ifstream in(paths.declarations_file(), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  if (!doc.is_object())
    return fail(Code::CONFIG_INVALID, paths.declarations_file().string() +
                                          ": not a JSON object (delete the file to forget the run-time declarations)");
  return doc;
}

}  // namespace

Status resolve_secret_refs(products::Catalog& c, const store::Paths& paths) {
  ERA_TRY(resolve_section(c.buckets, c, paths));
  ERA_TRY(resolve_section(c.kv, c, paths));
  return {};
}

Status merge_persisted_declarations(products::Catalog& c, const store::Paths& paths) {
  auto doc = read_persisted(paths);
  if (!doc) return fail(doc.error());
  const std::string label = paths.declarations_file().string();
  for (const char* section : {"buckets", "kv", "d1"}) {
    if (!doc->contains(section) || !(*doc)[section].is_array()) continue;
    for (const auto& entry : (*doc)[section]) {
      auto one = products::parse_catalog(single(*doc, section, entry), label, fs::current_path());
      if (one) {
        if (auto st = resolve_secret_refs(*one, paths); !st) return st;
        if (auto merged = products::merge_catalog(c, *one); merged) continue;
        else one = fail(merged.error());
      }
      log::warn("run-time declaration ", entry.dump(), " from ", label, " is not used: ", one.error().message);
    }
  }
  return {};
}

Result<json> RuntimeDeclarations::declare(const json& doc) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  auto next = products::parse_catalog(doc, "declaration", fs::current_path(ec));
  if (!next) return fail(next.error());
  if (auto st = resolve_secret_refs(*next, d_.paths); !st) return fail(st.error());
  products::Catalog merged = *d_.published.get();
  auto report = products::merge_catalog(merged, *next);
  if (!report) return fail(report.error());

  // What is new, to wire into the engines.
  products::Catalog created;
  created.source = merged.source;
  auto is_created = [&](const char* service, const std::string& name) {
    for (const auto& i : report->items)
      if (i.service == service && i.name == name) return i.created;
    return false;
  };
  for (const auto& b : next->buckets) if (is_created("r2", b.name)) created.buckets.push_back(b);
  for (const auto& k : next->kv) if (is_created("kv", k.name)) created.kv.push_back(k);
  for (const auto& d : next->d1) if (is_created("d1", d.name)) created.d1.push_back(d);
  // Every secret must resolve before any engine changes: a missing variable is the caller's to fix.
  auto check = [&](const std::string& owner, const std::optional<products::EncryptionSpec>& e) -> Status {
    if (!e) return {};
    auto secret = products::resolve_secret(e->secret_ref, {}, owner);
    if (!secret) return fail(Error(Code::CONFIG_INVALID, "declaration: " + secret.error().message +
                                                             " — declare the secret in \"secrets\" (e.g. {\"random\": {\"bytes\": 32}}) "
                                                             "or set the variable in era-emu's environment"));
    std::fill(secret->begin(), secret->end(), '\0');
    return {};
  };
  for (const auto& b : created.buckets) ERA_TRY(check("bucket " + b.name, b.encryption));
  for (const auto& k : created.kv) ERA_TRY(check("kv store " + k.name, k.encryption));
  ERA_TRY(apply_products(created, d_.kv, d_.r2));
  ERA_TRY(apply_encryption(created, d_.lmdb, d_.kv, d_.r2, /*whole=*/false));
  for (const auto& d : created.d1) {
    auto m = admin::apply_migrations(d_.d1, d, d_.clock.now_ms());
    if (!m) return fail(m.error());
  }

  // Kept for the next start: the accepted entries as written (migrations made absolute). The
  // document parsed whole, so every entry of a section made one spec, in order: entry i of
  // doc["buckets"] is next->buckets[i].
  auto persisted = read_persisted(d_.paths);
  if (!persisted) return fail(persisted.error());
  auto keep = [&](const char* section, const char* service, size_t i, const std::string& name,
                  const std::string& migrations) {
    if (!is_created(service, name)) return;
    json e = doc[section][i];
    if (!migrations.empty()) e["migrations"] = migrations;
    (*persisted)[section].push_back(std::move(e));
  };
  for (size_t i = 0; i < next->buckets.size(); ++i) keep("buckets", "r2", i, next->buckets[i].name, {});
  for (size_t i = 0; i < next->kv.size(); ++i) keep("kv", "kv", i, next->kv[i].name, {});
  for (size_t i = 0; i < next->d1.size(); ++i) keep("d1", "d1", i, next->d1[i].name, next->d1[i].migrations_dir);
  if (doc.contains("secrets"))
    for (auto it = doc["secrets"].begin(); it != doc["secrets"].end(); ++it)
      if (!persisted->contains("secrets") || !(*persisted)["secrets"].contains(it.key()))
        (*persisted)["secrets"][it.key()] = it.value();
  ERA_TRY(write_file(d_.paths.declarations_file(), persisted->dump(2) + "\n", 0600));
  d_.published.publish(std::make_shared<const products::Catalog>(std::move(merged)));

  json out = {{"declared", json::array()}};
  for (const auto& i : report->items)
    out["declared"].push_back({{"service", i.service}, {"name", i.name}, {"identity", i.identity},
                               {"status", i.created ? "created" : "unchanged"}});
  return out;
}

}  // namespace era::app
