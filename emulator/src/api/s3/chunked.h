#pragma once
// The aws-chunked content encoding S3 clients stream uploads in (Content-Encoding: aws-chunked,
// x-amz-content-sha256: STREAMING-…):
//
//   <hex size>[;chunk-signature=<64 hex>]\r\n <size bytes> \r\n   … repeated …
//   0[;chunk-signature=<64 hex>]\r\n
//   [<trailer name>:<value>\r\n … [x-amz-trailer-signature:<64 hex>\r\n]] \r\n
//
// A signed stream chains each chunk's signature to the previous one, starting from the
// request's seed signature; the trailer (checksums such as x-amz-checksum-crc32) is signed the
// same way when the payload is STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER. The decoder takes the
// body in whatever slices the socket delivers, hands the payload bytes on as they are verified
// chunk by chunk (nothing of a signed chunk is passed on before its signature checks), and keeps
// at most one chunk — capped at kMaxChunk — in memory.
#include <functional>
#include <map>
#include <string>

#include "api/s3/sigv4.h"
#include "core/crypto.h"
#include "core/result.h"

namespace era::api::s3 {

class ChunkDecoder {
 public:
  static constexpr size_t kMaxChunk = size_t(16) << 20;  // larger declared chunks are refused
  using Sink = std::function<Status(const char* data, size_t n)>;

  // `auth` must name a streaming payload.
  ChunkDecoder(const Auth& auth, Sink sink);
  // Feeds raw body bytes; errors are S3_INCOMPLETE_BODY (framing) or
  // S3_SIGNATURE_DOES_NOT_MATCH (a chunk or the trailer), or whatever the sink returned.
  Status feed(const char* data, size_t n);
  // After the last byte: the stream must have ended with its final chunk (and trailer).
  Status finish();
  // Trailer headers by lowercase name (x-amz-trailer-signature removed).
  const std::map<std::string, std::string>& trailers() const { return trailers_; }
  uint64_t decoded_size() const { return decoded_; }

 private:
  enum class State { size_line, data, data_crlf, trailer, done };
  Status on_size_line(std::string_view line);
  Status on_trailer_line(std::string_view line);
  Status end_chunk();
  std::string chain(std::string_view kind, std::string_view hash_hex);

  const Auth& auth_;
  Sink sink_;
  bool signed_ = false;
  bool has_trailer_ = false;
  State state_ = State::size_line;
  std::string line_;         // a size or trailer line being assembled
  uint64_t remaining_ = 0;   // bytes of the current chunk still to come
  uint64_t chunk_size_ = 0;
  std::string chunk_;        // a signed chunk is held until its signature checks
  std::string chunk_sig_;    // the signature its size line declared
  std::string prev_sig_;
  std::unique_ptr<core::Digest> sha_;
  std::string trailer_text_;  // "name:value\n" lines, for the trailer signature
  std::string trailer_sig_;
  std::map<std::string, std::string> trailers_;
  uint64_t decoded_ = 0;
  int crlf_seen_ = 0;
};

}  // namespace era::api::s3
