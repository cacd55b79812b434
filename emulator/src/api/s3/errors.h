#pragma once
// era::Error → S3's XML error document:
//   <Error><Code>NoSuchKey</Code><Message>…</Message><Resource>/s3/b/k</Resource>
//          <RequestId>…</RequestId><EraCode>R2_OBJECT_NOT_FOUND</EraCode>…details…</Error>
// The S3 code comes from the era code (s3_code()); a fault rule's own code wins; string
// details (Key, BucketName, StringToSign, CanonicalRequest, …) become elements, as S3 adds them.
#include <string>
#include <string_view>

#include "api/http.h"
#include "core/error.h"

namespace era::api::s3 {

std::string_view s3_code(const Error& e);
void send_error(const Request& req, Response& res, const Error& e);

}  // namespace era::api::s3
