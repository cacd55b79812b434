#include "r2/sealing.h"

#include "core/crypto.h"

namespace era::r2 {
namespace {

void field(std::string& ad, std::string_view v) {
  ad.append(v);
  ad.push_back('\0');
}

std::string meta_ad(std::string_view bucket, const ObjectMeta& m) {
  std::string ad("era-r2-meta", 12);  // with its \0
  field(ad, bucket);
  field(ad, m.key);
  field(ad, m.blob);
  field(ad, m.version);
  field(ad, m.etag);
  ad.append(reinterpret_cast<const char*>(&m.size), sizeof m.size);
  return ad;
}

std::string upload_ad(std::string_view bucket, std::string_view key, std::string_view upload_id) {
  std::string ad("era-r2-upload", 14);
  field(ad, bucket);
  field(ad, key);
  ad.append(upload_id);
  return ad;
}

}  // namespace

Error no_cipher(std::string_view bucket) {
  return Error(Code::ENCRYPTION_SECRET_MISSING,
               "R2 bucket " + std::string(bucket) +
                   " holds encrypted objects but no encryption secret is configured for it");
}

void seal_object_meta(const core::Aead& aead, std::string_view bucket, ObjectMeta& m) {
  m.sealed = true;
  m.sealed_meta = aead.seal(encode_user_metadata(m.http, m.custom), meta_ad(bucket, m));
}

Status open_object_meta(const core::Aead* aead, std::string_view bucket, ObjectMeta& m) {
  if (!m.sealed) return {};
  if (!aead) return fail(no_cipher(bucket));
  auto plain = aead->open(m.sealed_meta, meta_ad(bucket, m), "encrypted R2 object record");
  if (!plain) return fail(plain.error());
  m.http = {};
  m.custom.clear();
  if (!decode_user_metadata(*plain, m.http, m.custom))
    return fail(Code::STORE_CORRUPT, "malformed R2 metadata inside an encrypted record");
  return {};
}

std::string seal_upload_meta(const core::Aead& aead, std::string_view bucket, std::string_view key,
                             std::string_view upload_id, const nlohmann::json& meta) {
  return core::base64_encode(
      aead.seal(meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                upload_ad(bucket, key, upload_id)));
}

Result<nlohmann::json> open_upload_meta(const core::Aead* aead, std::string_view bucket,
                                        std::string_view key, std::string_view upload_id,
                                        std::string_view sealed_b64) {
  if (!aead) return fail(no_cipher(bucket));
  auto raw = core::base64_decode(sealed_b64);
  if (!raw) return fail(Code::DATA_CORRUPTED, "encrypted multipart upload record is not base64");
  auto plain = aead->open(*raw, upload_ad(bucket, key, upload_id), "encrypted multipart upload record");
  if (!plain) return fail(plain.error());
  auto j = nlohmann::json::parse(*plain, nullptr, false);
  if (!j.is_object()) return fail(Code::STORE_CORRUPT, "malformed multipart upload metadata");
  return j;
}

}  // namespace era::r2
