#include "core/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

#include "core/crypto.h"

#include <mutex>

namespace era::core {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(char* p) { return reinterpret_cast<unsigned char*>(p); }

[[noreturn]] void openssl_failed(const char* what) {
  throw std::runtime_error(std::string("OpenSSL ") + what + " failed");
}

// GCM takes int lengths; values and chunks here are far below 2 GiB, feed larger in pieces.
constexpr size_t kStep = size_t(1) << 30;

}  // namespace

Aead::Aead(std::string key) : key_(std::move(key)) {
  if (key_.size() != kKeyBytes) throw std::logic_error("Aead: key must be 32 bytes");
}

Aead::~Aead() { OPENSSL_cleanse(key_.data(), key_.size()); }

void Aead::seal_to(std::string_view plaintext, std::string_view ad, std::string& out) const {
  const std::string nonce = random_bytes(kNonceBytes);
  const size_t start = out.size();
  out.resize(start + kOverhead + plaintext.size());
  char* p = out.data() + start;
  std::copy(nonce.begin(), nonce.end(), p);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key_), u8(nonce)) != 1)
    openssl_failed("EncryptInit");
  for (size_t off = 0; off < ad.size(); off += kStep)
    if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(ad) + off,
                          static_cast<int>(std::min(kStep, ad.size() - off))) != 1)
      openssl_failed("EncryptUpdate(ad)");
  char* c = p + kNonceBytes;
  for (size_t off = 0; off < plaintext.size(); off += kStep) {
    if (EVP_EncryptUpdate(ctx.get(), u8(c + off), &len, u8(plaintext) + off,
                          static_cast<int>(std::min(kStep, plaintext.size() - off))) != 1)
      openssl_failed("EncryptUpdate");
  }
  if (EVP_EncryptFinal_ex(ctx.get(), u8(c + plaintext.size()), &len) != 1) openssl_failed("EncryptFinal");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, u8(c + plaintext.size())) != 1)
    openssl_failed("GET_TAG");
}

std::string Aead::seal(std::string_view plaintext, std::string_view ad) const {
  std::string out;
  seal_to(plaintext, ad, out);
  return out;
}

bool Aead::open_to(std::string_view sealed, std::string_view ad, char* out) const {
  if (sealed.size() < kOverhead) return false;
  const size_t n = sealed.size() - kOverhead;
  std::string_view nonce = sealed.substr(0, kNonceBytes);
  std::string_view body = sealed.substr(kNonceBytes, n);
  std::string tag(sealed.substr(kNonceBytes + n));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u8(key_), u8(nonce)) != 1)
    return false;
  for (size_t off = 0; off < ad.size(); off += kStep)
    if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(ad) + off,
                          static_cast<int>(std::min(kStep, ad.size() - off))) != 1)
      return false;
  for (size_t off = 0; off < n; off += kStep)
    if (EVP_DecryptUpdate(ctx.get(), u8(out + off), &len, u8(body) + off,
                          static_cast<int>(std::min(kStep, n - off))) != 1)
      return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) return false;
  return EVP_DecryptFinal_ex(ctx.get(), u8(out + n), &len) == 1;
}

Result<std::string> Aead::open(std::string_view sealed, std::string_view ad,
                               std::string_view what) const {
  if (sealed.size() < kOverhead)
    return fail(Code::DATA_CORRUPTED, std::string(what) + " is truncated (shorter than nonce + tag)");
  std::string out(sealed.size() - kOverhead, '\0');
  if (!open_to(sealed, ad, out.data())) {
    OPENSSL_cleanse(out.data(), out.size());
    return fail(Code::DATA_CORRUPTED,
                std::string(what) + " failed authentication (modified, truncated or moved on disk)");
  }
  return out;
}

std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t n) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free);
  std::string out(n, '\0');
  size_t out_len = n;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), u8(salt), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), u8(ikm), static_cast<int>(ikm.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), u8(info), static_cast<int>(info.size())) <= 0 ||
      EVP_PKEY_derive(ctx.get(), u8(out.data()), &out_len) <= 0 || out_len != n)
    openssl_failed("HKDF");
  return out;
}

void CipherTable::set(std::string_view name, std::shared_ptr<const Aead> aead) {
  std::unique_lock lock(mu_);
  if (aead) table_.insert_or_assign(std::string(name), std::move(aead));
  else if (auto it = table_.find(name); it != table_.end()) table_.erase(it);
}

std::shared_ptr<const Aead> CipherTable::get(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = table_.find(name);
  return it == table_.end() ? nullptr : it->second;
}

}  // namespace era::core
