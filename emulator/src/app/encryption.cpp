#include "app/encryption.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>

#include "core/aead.h"
#include "core/crypto.h"
#include "core/log.h"
#include "kv/engine.h"
#include "kv/record.h"
#include "products/secrets.h"
#include "r2/engine.h"
#include "r2/object.h"
#include "store/lmdb.h"

namespace era::app {
namespace {

using store::Table;
using namespace std::literals;

constexpr std::string_view kPrefix{"encryption\0", 11};  // sys: prefix service \0 name
constexpr uint8_t kCheckVersion = 1;
constexpr size_t kSaltBytes = 32;
constexpr std::string_view kCheckToken = "era-emu key check v1";

struct Store {
  std::string service;  // "kv" | "r2"
  std::string name;
  std::string owner() const { return (service == "kv" ? "kv store " : "bucket ") + name; }
  std::string sys_key() const {
    std::string k(kPrefix);
    k.append(service).push_back('\0');
    k.append(name);
    return k;
  }
  std::string info() const {
    std::string i("era-emu encryption-at-rest v1", 30);  // with its \0
    i.append(service).push_back('\0');
    i.append(name);
    return i;
  }
  std::string check_ad() const { return "era-key-check\0"s + service + '\0' + name; }
};

std::string with_key(std::string_view salt, const std::string& check) {
  std::string v(1, static_cast<char>(kCheckVersion));
  v.append(salt);
  v.append(check);
  return v;
}

// Does the store hold records only a key can read? (Sealed KV records, sealed R2 objects.)
Result<bool> holds_sealed(store::Lmdb& lmdb, const Store& s) {
  auto txn = lmdb.begin_read();
  if (!txn) return fail(txn.error());
  bool sealed = false;
  std::string prefix = s.name + '\0';
  ERA_TRY(txn->scan(s.service == "kv" ? Table::kv : Table::r2, prefix, {},
                    [&](std::string_view, std::string_view v) {
                      if (s.service == "kv") sealed = kv::is_sealed_record(v);
                      else if (auto m = r2::decode_object(v, false)) sealed = m->sealed;
                      return !sealed;
                    }));
  if (sealed || s.service != "r2") return sealed;
  // Multipart uploads in progress with sealed metadata or parts.
  ERA_TRY(txn->scan(Table::uploads, "r2\0"sv, {}, [&](std::string_view, std::string_view v) {
    auto j = nlohmann::json::parse(v, nullptr, false);
    sealed = j.is_object() && j.value("bucket", "") == s.name && j.contains("sealed");
    return !sealed;
  }));
  return sealed;
}

// The key for `s`, creating its salt and key-check row at first use. A secret that fails the
// key check is an error while the store holds encrypted data; once it holds none (e.g. after a
// reset) the store starts over with a fresh salt and the new secret.
Result<std::shared_ptr<const core::Aead>> key_for(store::Lmdb& lmdb, const Store& s,
                                                  const std::string& secret, std::string_view ref) {
  auto sealed_data = holds_sealed(lmdb, s);  // before the write txn: one txn per thread
  if (!sealed_data) return fail(sealed_data.error());
  auto txn = lmdb.begin_write();
  if (!txn) return fail(txn.error());
  auto row = txn->get(Table::sys, s.sys_key());
  if (!row) return fail(row.error());
  if (*row) {
    std::string_view v = **row;
    if (v.size() < 1 + kSaltBytes || static_cast<uint8_t>(v[0]) != kCheckVersion)
      return fail(Code::STORE_CORRUPT, s.owner() + ": the encryption key-check record is malformed");
    auto aead = std::make_shared<const core::Aead>(core::hkdf_sha256(secret, v.substr(1, kSaltBytes), s.info(), 32));
    auto token = aead->open(v.substr(1 + kSaltBytes), s.check_ad());
    if (token && *token == kCheckToken) return aead;
    if (*sealed_data)
      return fail(Code::ENCRYPTION_KEY_MISMATCH,
                  s.owner() + ": the secret from " + std::string(ref) +
                      " does not decrypt data written earlier — wrong secret? Use the secret the "
                      "data was written with (to start over, reset the store's data; see "
                      "docs/products.md, \"Key rotation\")");
    log::info(s.owner(), ": new secret and no encrypted data left; starting over with a new key");
  }
  std::string salt = core::random_bytes(kSaltBytes);
  auto aead = std::make_shared<const core::Aead>(core::hkdf_sha256(secret, salt, s.info(), 32));
  ERA_TRY(txn->put(Table::sys, s.sys_key(), with_key(salt, aead->seal(kCheckToken, s.check_ad()))));
  ERA_TRY(txn->commit());
  return aead;
}

// Stores with a key-check row that the catalog no longer declares encrypted.
Status check_undeclared(store::Lmdb& lmdb, const std::set<std::pair<std::string, std::string>>& declared) {
  std::vector<Store> stale;
  {
    auto txn = lmdb.begin_read();
    if (!txn) return fail(txn.error());
    ERA_TRY(txn->scan(Table::sys, kPrefix, {}, [&](std::string_view k, std::string_view) {
      std::string_view rest = k.substr(kPrefix.size());
      size_t zero = rest.find('\0');
      if (zero == std::string_view::npos) return true;
      Store s{std::string(rest.substr(0, zero)), std::string(rest.substr(zero + 1))};
      if (!declared.contains({s.service, s.name})) stale.push_back(std::move(s));
      return true;
    }));
  }
  for (const auto& s : stale) {
    auto sealed = holds_sealed(lmdb, s);
    if (!sealed) return fail(sealed.error());
    if (*sealed)
      return fail(Code::ENCRYPTION_SECRET_MISSING,
                  s.owner() + " holds data encrypted earlier, but era-emu.json declares no "
                              "\"encryption\" for it now: restore its encryption block with the same "
                              "secret, or reset the store's data to go on unencrypted "
                              "(docs/products.md, \"Encryption at rest\")");
    auto txn = lmdb.begin_write();
    if (!txn) return fail(txn.error());
    ERA_TRY(txn->del(Table::sys, s.sys_key()));
    ERA_TRY(txn->commit());
    log::info(s.owner(), ": no longer encrypted and holds no encrypted data; its key-check record was dropped");
  }
  return {};
}

}  // namespace

Status apply_encryption(const products::Catalog& catalog, store::Lmdb& lmdb, kv::Engine& kv,
                        r2::Engine& r2, bool whole) {
  const std::filesystem::path base = std::filesystem::path(catalog.source).parent_path();
  std::set<std::pair<std::string, std::string>> declared;
  auto install = [&](const Store& s, const products::EncryptionSpec& spec) -> Status {
    auto secret = products::resolve_secret(spec.secret_ref, base, s.owner());
    if (!secret) return fail(secret.error());
    auto aead = key_for(lmdb, s, *secret, spec.secret_ref);
    std::fill(secret->begin(), secret->end(), '\0');
    if (!aead) return fail(aead.error());
    if (s.service == "kv") kv.set_namespace_cipher(s.name, *aead);
    else r2.set_bucket_cipher(s.name, *aead);
    declared.emplace(s.service, s.name);
    return {};
  };
  for (const auto& k : catalog.kv)
    if (k.encryption) ERA_TRY(install(Store{"kv", k.name}, *k.encryption));
  for (const auto& b : catalog.buckets)
    if (b.encryption) ERA_TRY(install(Store{"r2", b.name}, *b.encryption));
  return whole ? check_undeclared(lmdb, declared) : Status{};
}

}  // namespace era::app
