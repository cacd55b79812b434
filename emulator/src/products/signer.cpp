#include "products/signer.h"

#include <charconv>
#include <vector>

#include "core/crypto.h"
#include "products/access_errors.h"
#include "store/lmdb.h"

namespace era::products {
namespace {

constexpr std::string_view kSecretKey{"signer\0secret", 13};
constexpr std::string_view kNoncePrefix{"signer\0nonce\0", 13};
constexpr size_t kSecretBytes = 32;

std::string nonce_key(std::string_view nonce) { return std::string(kNoncePrefix) + std::string(nonce); }

// Row value: "<state> <expires_ms>", state p (pending) or u (used).
std::string nonce_value(char state, int64_t expires_ms) {
  return std::string(1, state) + " " + std::to_string(expires_ms);
}

std::optional<int64_t> nonce_expiry(std::string_view v) {
  if (v.size() < 3) return std::nullopt;
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(v.data() + 2, v.data() + v.size(), ms);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return ms;
}

void field(std::string& out, std::string_view f) {
  out += std::to_string(f.size());
  out += ':';
  out += f;
  out += '\n';
}

}  // namespace

std::string canonical_string(const Grant& g) {
  std::string s;
  field(s, "era-signed-url-v1");
  field(s, g.method);
  field(s, g.bucket);
  field(s, g.key);
  field(s, std::to_string(g.expires_ms));
  field(s, g.max_bytes ? std::to_string(*g.max_bytes) : std::string());
  field(s, g.content_type.value_or(std::string()));
  field(s, g.nonce);
  return s;
}

Result<std::unique_ptr<Signer>> Signer::open(store::Lmdb& db) {
  {
    auto txn = db.begin_read();
    if (!txn) return fail(txn.error());
    auto v = txn->get(store::Table::sys, kSecretKey);
    if (!v) return fail(v.error());
    if (*v && (*v)->size() == kSecretBytes)
      return std::unique_ptr<Signer>(new Signer(db, std::string(**v)));
  }
  // First start on this data dir: create it inside a write transaction, so two racing opens
  // (never in one process, but cheap to get right) agree on one secret.
  auto txn = db.begin_write();
  if (!txn) return fail(txn.error());
  auto v = txn->get(store::Table::sys, kSecretKey);
  if (!v) return fail(v.error());
  std::string secret;
  if (*v && (*v)->size() == kSecretBytes) {
    secret = std::string(**v);
  } else {
    secret = core::random_bytes(kSecretBytes);
    ERA_TRY(txn->put(store::Table::sys, kSecretKey, secret));
  }
  ERA_TRY(txn->commit());
  return std::unique_ptr<Signer>(new Signer(db, std::move(secret)));
}

std::string Signer::sign(const Grant& g) const {
  return core::to_hex(core::hmac_sha256(secret_, canonical_string(g)));
}

Status Signer::verify(const Grant& g, std::string_view signature_hex, int64_t now_ms) const {
  if (!core::constant_time_equal(sign(g), signature_hex)) return fail(access_errors::bad_signature());
  if (now_ms >= g.expires_ms) return fail(access_errors::expired(g.expires_ms, now_ms));
  return {};
}

std::string Signer::new_nonce() { return core::random_id(16); }

Status Signer::claim(const Grant& g) {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  std::string k = nonce_key(g.nonce);
  auto v = txn->get(store::Table::sys, k);
  if (!v) return fail(v.error());
  if (*v) return fail(access_errors::already_used());
  ERA_TRY(txn->put(store::Table::sys, k, nonce_value('p', g.expires_ms)));
  return txn->commit();
}

Status Signer::confirm(const Grant& g) {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  ERA_TRY(txn->put(store::Table::sys, nonce_key(g.nonce), nonce_value('u', g.expires_ms)));
  return txn->commit();
}

Status Signer::release(const Grant& g) {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  std::string k = nonce_key(g.nonce);
  auto v = txn->get(store::Table::sys, k);
  if (!v) return fail(v.error());
  if (!*v || (*v)->empty() || (**v)[0] != 'p') return {};
  auto removed = txn->del(store::Table::sys, k);
  if (!removed) return fail(removed.error());
  return txn->commit();
}

Result<size_t> Signer::sweep(int64_t now_ms) {
  std::vector<std::string> dead;
  {  // the common case (nothing expired) needs no write transaction
    auto txn = db_.begin_read();
    if (!txn) return fail(txn.error());
    ERA_TRY(txn->scan(store::Table::sys, kNoncePrefix, {}, [&](std::string_view k, std::string_view v) {
      auto exp = nonce_expiry(v);
      if (exp && *exp <= now_ms) dead.emplace_back(k);
      return true;
    }));
  }
  if (dead.empty()) return size_t(0);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  for (const auto& k : dead) {
    auto removed = txn->del(store::Table::sys, k);
    if (!removed) return fail(removed.error());
  }
  ERA_TRY(txn->commit());
  return dead.size();
}

}  // namespace era::products
