#pragma once
// Authenticated encryption for data at rest (issue 8): AES-256-GCM through OpenSSL EVP, and
// HKDF-SHA256 to derive a store's key from its secret.
//
// Sealed form:  nonce (12 random bytes, fresh per call) | ciphertext (= plaintext length) | tag (16)
// The associated data (`ad`) is not stored; it names the place the bytes belong to (service,
// store, key, chunk index...) so that bytes moved to another place fail to open, exactly as
// modified or truncated bytes do. open() never returns unauthenticated bytes.
//
// Thread-safe: an Aead holds only its key; every call uses its own cipher context.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/result.h"

namespace era::core {

class Aead {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverhead = kNonceBytes + kTagBytes;

  // `key` must be kKeyBytes long (ERA_CHECK-style logic_error otherwise: a programming error).
  explicit Aead(std::string key);
  ~Aead();
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;

  // Appends nonce|ciphertext|tag of `plaintext` to `out`.
  void seal_to(std::string_view plaintext, std::string_view ad, std::string& out) const;
  std::string seal(std::string_view plaintext, std::string_view ad) const;

  // Decrypts a sealed value into `out` (which must hold sealed.size() - kOverhead bytes).
  // False when the bytes are too short, were modified, or belong to another `ad` or key; `out`
  // may then hold partial garbage the caller must not use.
  bool open_to(std::string_view sealed, std::string_view ad, char* out) const;
  // DATA_CORRUPTED (naming `what`) when open_to fails.
  Result<std::string> open(std::string_view sealed, std::string_view ad,
                           std::string_view what = "encrypted value") const;

 private:
  std::string key_;
};

// Which store seals with which key (store name -> Aead), read on every request, set at start-up
// and when declared products change. A null Aead removes the entry. Thread-safe.
class CipherTable {
 public:
  void set(std::string_view name, std::shared_ptr<const Aead> aead);
  std::shared_ptr<const Aead> get(std::string_view name) const;  // null: not encrypted

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const Aead>, std::less<>> table_;
};

// HKDF-SHA256 (RFC 5869): `n` bytes derived from input keying material, salt and info.
std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t n);

}  // namespace era::core
