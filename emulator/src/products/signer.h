#pragma once
// Signed and one-time URLs (issue 8), the storage side: the signing secret, the canonical string
// a signature covers, verification, and one-time nonces. Knows nothing of HTTP: api/signed/
// turns a Grant into a URL and back.
//
// Secret: 32 random bytes created on first use and kept in the LMDB `sys` table, so links
// survive a restart on the same data directory (not a --memory one). Neither reset nor
// snapshot restore touches it.
//
// Canonical string (HMAC-SHA256 with the secret, hex in the URL): every field as
// "<byte length>:<bytes>\n", in this order:
//   "era-signed-url-v1", method, bucket, key, expires_ms, max_bytes ("" = none),
//   content_type ("" = none), nonce ("" = reusable)
// Length prefixes make it unambiguous whatever bytes a key holds.
//
// One-time nonces: a row "signer\0nonce\0<nonce>" → {state, expires_ms} in `sys`, written in
// one LMDB write transaction (LMDB allows one writer at a time), so of N racing claims exactly
// one wins. claim() marks it pending; confirm() makes it used; release() deletes a pending row so
// a use that failed (an upload cut short, a 404) can be retried. A crash between claim and
// confirm leaves it pending, i.e. used. sweep() prunes rows whose URL has expired.
//
// Threads: every method may be called from any thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace era::store { class Lmdb; }

namespace era::products {

inline constexpr int64_t kMaxSignedUrlSeconds = 7 * 24 * 3600;  // 604800, like S3 presigned URLs

// What a signed URL allows.
struct Grant {
  std::string method;  // "GET" (HEAD included) | "PUT"
  std::string bucket;
  std::string key;
  int64_t expires_ms = 0;               // usable while clock < expires_ms
  std::optional<uint64_t> max_bytes;    // PUT only
  std::optional<std::string> content_type;  // PUT only: the upload must send exactly this
  std::string nonce;                    // non-empty: one-time URL
};

std::string canonical_string(const Grant& g);

class Signer {
 public:
  // Loads the data directory's secret, creating it on first start. STORE_IO on LMDB failure.
  static Result<std::unique_ptr<Signer>> open(store::Lmdb& db);

  // Hex HMAC-SHA256 of canonical_string(g).
  std::string sign(const Grant& g) const;
  // SIGNED_URL_BAD_SIGNATURE unless `signature_hex` is sign(g) (constant-time comparison), then
  // SIGNED_URL_EXPIRED when now_ms >= g.expires_ms. Does not look at nonces.
  Status verify(const Grant& g, std::string_view signature_hex, int64_t now_ms) const;

  // A fresh nonce for a one-time URL (random, 128 bits, hex).
  static std::string new_nonce();
  // Claims g.nonce for this use: SIGNED_URL_USED when it is pending or used already.
  Status claim(const Grant& g);
  // After a successful use: the nonce stays used until the URL expires.
  Status confirm(const Grant& g);
  // After a failed use: frees a pending nonce so the URL can be tried again.
  Status release(const Grant& g);
  // Deletes nonce rows whose URL expired at or before now_ms. Returns how many.
  Result<size_t> sweep(int64_t now_ms);

 private:
  Signer(store::Lmdb& db, std::string secret) : db_(db), secret_(std::move(secret)) {}
  store::Lmdb& db_;
  std::string secret_;
};

}  // namespace era::products
