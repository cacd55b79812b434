#include "api/s3/errors.h"

#include "api/s3/xml.h"
#include "core/crypto.h"

namespace era::api::s3 {

std::string_view s3_code(const Error& e) {
  switch (e.code) {
    case Code::S3_ACCESS_DENIED: return "AccessDenied";
    case Code::S3_INVALID_ACCESS_KEY: return "InvalidAccessKeyId";
    case Code::S3_SIGNATURE_DOES_NOT_MATCH: return "SignatureDoesNotMatch";
    case Code::S3_AUTH_MALFORMED: return "AuthorizationHeaderMalformed";
    case Code::S3_CONTENT_SHA256_MISMATCH: return "XAmzContentSHA256Mismatch";
    case Code::S3_INCOMPLETE_BODY: return "IncompleteBody";
    case Code::S3_NO_SUCH_BUCKET: return "NoSuchBucket";
    case Code::S3_BUCKET_NOT_EMPTY: return "BucketNotEmpty";
    case Code::S3_BUCKET_EXISTS: return "BucketAlreadyOwnedByYou";
    case Code::S3_INVALID_BUCKET_NAME: return "InvalidBucketName";
    case Code::S3_MALFORMED_XML: return "MalformedXML";
    case Code::S3_INVALID_REQUEST: return "InvalidRequest";
    case Code::S3_NOT_IMPLEMENTED: return "NotImplemented";
    case Code::S3_NO_SUCH_CORS: return "NoSuchCORSConfiguration";
    case Code::S3_NO_SUCH_LIFECYCLE: return "NoSuchLifecycleConfiguration";
    case Code::R2_OBJECT_NOT_FOUND: return "NoSuchKey";
    case Code::R2_INVALID_KEY:
      return e.details.is_object() && e.details.contains("max_key_bytes") ? "KeyTooLongError" : "InvalidArgument";
    case Code::R2_METADATA_TOO_LARGE: return "MetadataTooLarge";
    case Code::R2_ENTITY_TOO_LARGE: return "EntityTooLarge";
    case Code::R2_PRECONDITION_FAILED: return "PreconditionFailed";
    case Code::R2_INVALID_RANGE: return "InvalidRange";
    case Code::R2_BAD_DIGEST: return "BadDigest";
    case Code::R2_INVALID_DIGEST: return "InvalidDigest";
    case Code::R2_INCOMPLETE_BODY: return "IncompleteBody";
    case Code::R2_NO_SUCH_UPLOAD: return "NoSuchUpload";
    case Code::R2_INVALID_PART: return "InvalidPart";
    case Code::R2_ENTITY_TOO_SMALL: return "EntityTooSmall";
    case Code::R2_INVALID_PART_ORDER: return "InvalidPartOrder";
    case Code::R2_INVALID_LIMIT:
    case Code::R2_INVALID_CURSOR:
    case Code::R2_INVALID_ARGUMENT:
    case Code::R2_INVALID_METADATA:
    case Code::R2_INVALID_BASE64: return "InvalidArgument";
    case Code::INVALID_NAMESPACE: return "InvalidBucketName";
    case Code::NOT_DECLARED: return "NoSuchBucket";
    case Code::PAYLOAD_TOO_LARGE: return "EntityTooLarge";
    case Code::HOST_NOT_ALLOWED:
    case Code::ORIGIN_NOT_ALLOWED:
    case Code::UNAUTHORIZED: return "AccessDenied";
    case Code::METHOD_NOT_ALLOWED: return "MethodNotAllowed";
    case Code::NOT_IMPLEMENTED: return "NotImplemented";
    case Code::THROTTLED: return "SlowDown";
    case Code::INJECTED: return e.status == 504 ? "RequestTimeout" : e.status >= 500 ? "ServiceUnavailable" : "InvalidRequest";
    default: return e.status >= 500 ? "InternalError" : "InvalidRequest";
  }
}

void send_error(const Request& req, Response& res, const Error& e) {
  std::string code(s3_code(e));
  if (e.details.is_object())
    if (auto it = e.details.find("code"); it != e.details.end() && it->is_string()) code = it->get<std::string>();
  XmlWriter w;
  w.open("Error").leaf("Code", code).leaf("Message", e.message);
  w.leaf("Resource", req.path);
  w.leaf("RequestId", core::random_id(8));
  w.leaf("EraCode", to_string(e.code));
  if (e.details.is_object())
    for (const auto& [k, v] : e.details.items()) {
      if (k == "code" || k.empty() || !std::isalpha(static_cast<unsigned char>(k[0]))) continue;
      bool name_ok = true;
      for (char c : k) name_ok = name_ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
      if (!name_ok) continue;
      if (v.is_string()) w.leaf(k, v.get<std::string>());
      else if (v.is_number() || v.is_boolean()) w.leaf(k, v.dump());
    }
  res.status = e.status;
  res.headers.erase("Content-Length");
  res.set_content(w.finish(), "application/xml");
}

}  // namespace era::api::s3
