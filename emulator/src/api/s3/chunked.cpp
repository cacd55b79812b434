#include "api/s3/chunked.h"

#include <charconv>

namespace era::api::s3 {
namespace {

constexpr size_t kMaxLine = 4096;
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Error incomplete(std::string msg) { return Error(Code::S3_INCOMPLETE_BODY, "aws-chunked body: " + std::move(msg)); }
Error bad_chunk_signature(std::string_view what) {
  return Error(Code::S3_SIGNATURE_DOES_NOT_MATCH,
               "The request signature we calculated does not match the signature you provided (" +
                   std::string(what) + " of the aws-chunked body).");
}

}  // namespace

ChunkDecoder::ChunkDecoder(const Auth& auth, Sink sink)
    : auth_(auth),
      sink_(std::move(sink)),
      signed_(auth.payload == Payload::streaming_signed || auth.payload == Payload::streaming_signed_trailer),
      has_trailer_(auth.payload == Payload::streaming_signed_trailer ||
                   auth.payload == Payload::streaming_unsigned_trailer),
      prev_sig_(auth.seed_signature) {}

std::string ChunkDecoder::chain(std::string_view kind, std::string_view hash_hex) {
  std::string sts(kind);
  sts += '\n';
  sts += auth_.amz_date;
  sts += '\n';
  sts += auth_.scope;
  sts += '\n';
  sts += prev_sig_;
  sts += '\n';
  if (kind == "AWS4-HMAC-SHA256-PAYLOAD") {
    sts += kEmptySha;
    sts += '\n';
  }
  sts += hash_hex;
  return hex_hmac(auth_.signing_key, sts);
}

Status ChunkDecoder::on_size_line(std::string_view line) {
  std::string_view size = line.substr(0, line.find(';'));
  std::string_view ext = line.size() > size.size() ? line.substr(size.size() + 1) : std::string_view{};
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), n, 16);
  if (size.empty() || ec != std::errc() || p != size.data() + size.size())
    return fail(incomplete("a chunk size line is not hexadecimal: \"" + std::string(line.substr(0, 80)) + "\""));
  if (n > kMaxChunk) return fail(incomplete("chunk of " + std::to_string(n) + " bytes is over the 16 MiB limit"));
  chunk_sig_.clear();
  if (signed_) {
    constexpr std::string_view kSig = "chunk-signature=";
    if (!ext.starts_with(kSig))
      return fail(incomplete("a signed stream's chunk has no chunk-signature: \"" + std::string(line.substr(0, 80)) + "\""));
    chunk_sig_ = ascii_lower(ext.substr(kSig.size()));
    sha_ = std::make_unique<core::Digest>(core::Digest::Alg::sha256);
  }
  chunk_size_ = remaining_ = n;
  state_ = State::data;
  if (n == 0) return end_chunk();
  return {};
}

Status ChunkDecoder::end_chunk() {
  if (signed_) {
    std::string hash = core::to_hex(sha_->finish());
    std::string expected = chain("AWS4-HMAC-SHA256-PAYLOAD", hash);
    if (!core::constant_time_equal(expected, chunk_sig_)) return fail(bad_chunk_signature("a chunk signature"));
    prev_sig_ = expected;
    if (!chunk_.empty()) {
      ERA_TRY(sink_(chunk_.data(), chunk_.size()));
      chunk_.clear();
    }
  }
  if (chunk_size_ == 0) {
    state_ = has_trailer_ ? State::trailer : State::data_crlf;
    crlf_seen_ = 0;
    return {};
  }
  state_ = State::data_crlf;
  crlf_seen_ = 0;
  return {};
}

Status ChunkDecoder::on_trailer_line(std::string_view line) {
  if (line.empty()) {  // the blank line that ends the trailer
    if (auth_.payload == Payload::streaming_signed_trailer) {
      if (trailer_sig_.empty()) return fail(incomplete("the trailer has no x-amz-trailer-signature"));
      std::string expected = chain("AWS4-HMAC-SHA256-TRAILER", hex_sha256(trailer_text_));
      if (!core::constant_time_equal(expected, trailer_sig_)) return fail(bad_chunk_signature("the trailer signature"));
    }
    state_ = State::done;
    return {};
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos)
    return fail(incomplete("a trailer line has no ':': \"" + std::string(line.substr(0, 80)) + "\""));
  std::string name = ascii_lower(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (name == "x-amz-trailer-signature") {
    trailer_sig_ = ascii_lower(value);
  } else {
    trailer_text_ += name + ":" + std::string(value) + "\n";
    trailers_[name] = std::string(value);
  }
  return {};
}

Status ChunkDecoder::feed(const char* data, size_t n) {
  size_t i = 0;
  while (i < n) {
    switch (state_) {
      case State::size_line:
      case State::trailer: {
        char c = data[i++];
        if (c != '\n') {
          if (line_.size() >= kMaxLine) return fail(incomplete("a chunk header or trailer line is over 4 KiB"));
          line_ += c;
          break;
        }
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        std::string line = std::move(line_);
        line_.clear();
        ERA_TRY(state_ == State::size_line ? on_size_line(line) : on_trailer_line(line));
        break;
      }
      case State::data: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        if (signed_) {
          sha_->update(data + i, take);
          chunk_.append(data + i, take);
        } else {
          ERA_TRY(sink_(data + i, take));
        }
        decoded_ += take;
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) ERA_TRY(end_chunk());
        break;
      }
      case State::data_crlf: {
        char c = data[i++];
        if (crlf_seen_ == 0 && c == '\r') {
          crlf_seen_ = 1;
          break;
        }
        if (c != '\n') return fail(incomplete("a chunk's data is not followed by CRLF (chunk size wrong?)"));
        state_ = chunk_size_ == 0 ? State::done : State::size_line;
        break;
      }
      case State::done:
        return fail(incomplete("bytes after the final chunk"));
    }
  }
  return {};
}

Status ChunkDecoder::finish() {
  // An unsigned trailer may end without its final blank line; everything else must be complete.
  if (state_ == State::trailer && line_.empty() && !trailers_.empty() &&
      auth_.payload == Payload::streaming_unsigned_trailer)
    return {};
  if (state_ != State::done) return fail(incomplete("the body ended before its final chunk"));
  return {};
}

}  // namespace era::api::s3
