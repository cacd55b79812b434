#pragma once
// R2 errors in the real service's wording (shared/spec/cloudflare-storage-semantics.md §2.12).
#include <string>
#include <string_view>

#include "core/error.h"

namespace era::r2::errors {

inline Error not_found() { return Error(Code::R2_OBJECT_NOT_FOUND, "Object not found"); }
inline Error key_empty() {
  return Error(Code::R2_INVALID_KEY, "The specified object name is not valid: keys must not be empty.");
}
inline Error key_not_utf8() {
  return Error(Code::R2_INVALID_KEY, "The specified object name is not valid: keys must be valid UTF-8.");
}
inline Error key_too_long(size_t n) {
  return Error(Code::R2_INVALID_KEY, "The specified object name is not valid: key is " +
                                         std::to_string(n) + " bytes, the limit is 1024.")
      .with_details({{"key_bytes", n}, {"max_key_bytes", 1024}});
}
inline Error metadata_too_large(size_t n) {
  return Error(Code::R2_METADATA_TOO_LARGE,
               "Your metadata headers exceed the maximum allowed metadata size.")
      .with_details({{"metadata_bytes", n}, {"max_metadata_bytes", 8192}});
}
inline Error invalid_metadata(std::string_view why) {
  return Error(Code::R2_INVALID_METADATA, "Metadata missing or invalid: " + std::string(why));
}
inline Error entity_too_large(uint64_t limit) {
  return Error(Code::R2_ENTITY_TOO_LARGE,
               "Your proposed upload exceeds the maximum allowed object size.")
      .with_details({{"max_bytes", limit}});
}
// A declared bucket's maxObjectSize (era-emu.json): 413, as a gateway in front of R2 answers.
inline Error bucket_object_too_large(std::string_view bucket, uint64_t size, uint64_t limit) {
  return Error(Code::R2_ENTITY_TOO_LARGE, 413,
               "Your proposed upload exceeds the maximum allowed object size. Bucket \"" +
                   std::string(bucket) + "\" declares maxObjectSize " + std::to_string(limit) + " bytes.")
      .with_details({{"max_bytes", limit}, {"size", size}, {"bucket", bucket}});
}
inline Error invalid_limit() {
  return Error(Code::R2_INVALID_LIMIT, "MaxKeys params must be positive integer <= 1000.");
}
inline Error invalid_cursor() {
  return Error(Code::R2_INVALID_CURSOR, "Invalid cursor: pass back the cursor from the previous list");
}
inline Error precondition_failed() {
  return Error(Code::R2_PRECONDITION_FAILED,
               "At least one of the pre-conditions you specified did not hold.");
}
inline Error invalid_range() {
  return Error(Code::R2_INVALID_RANGE, "The requested range is not satisfiable");
}
inline Error bad_digest(std::string_view alg, std::string_view provided_hex,
                        std::string_view actual_hex) {
  return Error(Code::R2_BAD_DIGEST, "The " + std::string(alg) +
                                        " checksum you specified did not match what we received.")
      .with_details({{"provided", provided_hex}, {"actual", actual_hex}, {"algorithm", alg}});
}
inline Error invalid_digest(std::string_view what) {
  return Error(Code::R2_INVALID_DIGEST, "The " + std::string(what) + " you specified is not valid.");
}
inline Error incomplete_body() {
  return Error(Code::R2_INCOMPLETE_BODY,
               "You did not provide the number of bytes specified by the Content-Length HTTP header.");
}
inline Error no_such_upload() {
  return Error(Code::R2_NO_SUCH_UPLOAD, "The specified multipart upload does not exist.");
}
inline Error invalid_part() {
  return Error(Code::R2_INVALID_PART, "One or more of the specified parts could not be found.");
}
inline Error no_parts() {
  return Error(Code::R2_INVALID_PART, "You must specify at least one part.");
}
inline Error non_uniform_parts(uint32_t part, uint64_t expected, uint64_t found) {
  return Error(Code::R2_INVALID_PART,
               "All non-trailing parts must have the same length. Non Uniform Part Sizes: Expected part " +
                   std::to_string(part) + " to have size " + std::to_string(expected) + ", found " +
                   std::to_string(found));
}
inline Error part_order() {
  return Error(Code::R2_INVALID_PART_ORDER,
               "The list of parts was not in ascending order. Parts must be ordered by part number.");
}
inline Error entity_too_small(uint32_t part, uint64_t size, uint64_t min) {
  return Error(Code::R2_ENTITY_TOO_SMALL,
               "Your proposed upload is smaller than the minimum allowed object size.")
      .with_details({{"partNumber", part}, {"size", size}, {"min_part_bytes", min}});
}
inline Error invalid_argument(std::string msg) {
  return Error(Code::R2_INVALID_ARGUMENT, std::move(msg));
}

}  // namespace era::r2::errors
