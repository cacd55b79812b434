#pragma once
// The binary route's object read and write, for other routes that serve the same objects under
// a different access rule (api/signed/: public buckets and signed URLs). Both work on
// call.ns / call.key, which the caller has set and validated (core::validate_namespace,
// r2::validate_key).
#include "api/r2raw/common.h"
#include "api/services.h"

namespace era::api::r2http {

// GET or HEAD (call.req.method) with Range and If-* headers, exactly as GET /api/r2/{b}/{k+}.
Status serve_object(Services& s, Call& c);
// A single PUT of the streamed body with Content-*, X-Era-Meta-*, checksum and If-* headers,
// exactly as PUT /api/r2/{b}/{k+}; `cap` adds a tighter size limit with its own error.
Status store_object(Services& s, Call& c, const UploadCap* cap = nullptr);

}  // namespace era::api::r2http
