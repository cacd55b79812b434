#pragma once
// Errors of bucket access and signed URLs (rows in core/errors/access.def). Every one is a 403
// whose JSON carries a machine-readable "reason" next to "error" and "code".
#include <cstdint>
#include <string>

#include "core/error.h"

namespace era::products::access_errors {

inline Error make(Code c, const char* reason, std::string message, nlohmann::json extra = {}) {
  nlohmann::json d = {{"reason", reason}};
  if (extra.is_object()) d.update(extra);
  return Error(c, std::move(message)).with_details(std::move(d));
}

inline Error malformed(const std::string& why) {
  return make(Code::SIGNED_URL_MALFORMED, "malformed", "Signed URL is malformed: " + why);
}
inline Error bad_signature() {
  return make(Code::SIGNED_URL_BAD_SIGNATURE, "bad_signature",
              "The request signature does not match: the URL was changed after signing");
}
inline Error expired(int64_t expires_ms, int64_t now_ms) {
  return make(Code::SIGNED_URL_EXPIRED, "expired", "Request has expired",
              {{"expires_ms", expires_ms}, {"now_ms", now_ms}});
}
inline Error method_mismatch(const std::string& signed_for, const std::string& got) {
  return make(Code::SIGNED_URL_METHOD_MISMATCH, "method_mismatch",
              "This URL was signed for " + signed_for + ", not " + got,
              {{"signed_method", signed_for}, {"method", got}});
}
inline Error content_type_mismatch(const std::string& signed_type, const std::string& got) {
  return make(Code::SIGNED_URL_CONTENT_TYPE, "content_type_mismatch",
              "Content-Type must be \"" + signed_type + "\" for this URL",
              {{"signed_content_type", signed_type}, {"content_type", got}});
}
inline Error too_large(uint64_t limit) {
  return make(Code::SIGNED_URL_TOO_LARGE, "too_large",
              "The upload exceeds the " + std::to_string(limit) + " bytes this URL allows",
              {{"max_bytes", limit}});
}
inline Error already_used() {
  return make(Code::SIGNED_URL_USED, "already_used", "This one-time URL has already been used");
}
inline Error private_bucket(const std::string& bucket) {
  return make(Code::PUBLIC_ACCESS_DENIED, "private_bucket",
              "Access denied: bucket \"" + bucket + "\" is not public; use a signed URL",
              {{"bucket", bucket}});
}

}  // namespace era::products::access_errors
