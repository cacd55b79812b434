#pragma once
// Pieces both R2 protocols share (the ERA JSON route in api/era/r2_routes.cpp and the binary
// route here): JSON shapes of objects and lists, list options from the query string, streaming
// a request body into the engine, and streaming a blob back out.
#include <cstdint>
#include <memory>
#include <string>

#include "api/json_io.h"
#include "api/router.h"
#include "r2/engine.h"

namespace era::api::r2http {

inline constexpr size_t kChunk = size_t(256) << 10;  // read/write granularity for bodies

// {key,size,etag,httpEtag,uploaded,version[,httpMetadata][,customMetadata][,checksums]}
json object_json(const r2::ObjectMeta& m, bool http, bool custom, bool checksums = false);

// prefix, delimiter, cursor, startAfter (also start_after), limit (default given), include.
struct ListQuery {
  r2::ListOptions opts;
  bool include_http = false;
  bool include_custom = false;
};
Result<ListQuery> list_query(const Call& c, int default_limit);
// {"objects":[…],"truncated":b,"cursor"?,"delimitedPrefixes"?}
json list_json(const r2::ListResult& r, const ListQuery& q, bool era_shape = false);

// A tighter limit on one upload than the engine's (a signed URL's maxBytes): past max_bytes the
// upload fails with `error` instead of R2_ENTITY_TOO_LARGE.
struct UploadCap {
  uint64_t max_bytes = 0;
  Error error;
};

// Refuses a body whose declared Content-Length is over the limit before reading it (with
// `over` when given, else R2_ENTITY_TOO_LARGE).
Status check_declared_length(Call& c, uint64_t limit, const Error* over = nullptr);
// Streams call.reader into the writer: R2_ENTITY_TOO_LARGE past the engine limit, cap->error as
// soon as the bytes received pass cap->max_bytes (reading stops, nothing is stored),
// R2_INCOMPLETE_BODY when the body ends before Content-Length.
Status stream_body(Call& c, r2::BodyWriter& w, const UploadCap* cap = nullptr);
// For errors sent before the body was fully read: the connection cannot be reused.
void close_connection(Call& c);

// Serves [offset, offset+length) of the body without holding it in memory.
void send_body(Response& res, std::shared_ptr<r2::Body> body, uint64_t offset,
               uint64_t length, const std::string& content_type);

// Custom metadata names and values as header text: bytes a header cannot carry are
// percent-encoded (names: non-token characters; values: CR, LF, NUL).
std::string header_name_safe(std::string_view s);
std::string header_value_safe(std::string_view s);
// Content-Type/-Language/-Disposition/-Encoding, Cache-Control and Expires of a request
// (R2_INVALID_ARGUMENT for an Expires that is not a date).
Result<r2::HttpMetadata> http_from_headers(const Call& c);
// If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since (seconds granularity).
// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since; `s3`: If-Unmodified-Since
// passes within the date's second (RFC 9110's "not modified after"), else it is strict as the
// Workers binding's uploadedBefore.
r2::Conditional conditional_from_headers(const Call& c, bool s3 = false);

// Custom metadata from a JSON object of strings (null/absent = none).
Result<r2::CustomMetadata> custom_from_json(const json& j);
// httpMetadata from a JSON object (contentType, …, cacheExpiry as ISO string or epoch ms).
Result<r2::HttpMetadata> http_from_json(const json& j);

}  // namespace era::api::r2http
