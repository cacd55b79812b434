#include "r2/sealed_body.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace era::r2 {
namespace {

constexpr std::string_view kMagic{"\x89" "ERA-AEAD\r\n\x1a", 12};
constexpr size_t kMinChunk = size_t(1) << 10;
constexpr size_t kMaxChunk = size_t(16) << 20;

template <class T>
void put_raw(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

std::string chunk_ad(std::string_view blob_id, size_t chunk, uint64_t index, bool last) {
  std::string ad("era-r2-chunk", 13);  // with its \0
  ad.append(blob_id);
  ad.push_back('\0');
  put_raw<uint32_t>(ad, static_cast<uint32_t>(chunk));
  put_raw<uint64_t>(ad, index);
  ad.push_back(last ? 1 : 0);
  return ad;
}

uint64_t chunk_count(uint64_t size, size_t chunk) { return size == 0 ? 1 : (size + chunk - 1) / chunk; }

Error corrupted(std::string_view blob_id, std::string_view why) {
  return Error(Code::DATA_CORRUPTED, "encrypted R2 body " + std::string(blob_id) + ": " + std::string(why));
}

}  // namespace

uint64_t sealed_blob_size(uint64_t plain_size, size_t chunk) {
  return kSealedHeaderBytes + plain_size + chunk_count(plain_size, chunk) * core::Aead::kOverhead;
}

bool has_sealed_header(std::string_view head) { return head.starts_with(kMagic); }

// ---------------------------------------------------------------- sealer

ChunkSealer::ChunkSealer(std::shared_ptr<const core::Aead> aead, std::string blob_id, size_t chunk)
    : aead_(std::move(aead)), blob_id_(std::move(blob_id)), chunk_(chunk) {
  pending_.reserve(chunk_);
}

ChunkSealer::~ChunkSealer() { OPENSSL_cleanse(pending_.data(), pending_.size()); }

void ChunkSealer::emit(bool last, std::string& out) {
  if (!header_done_) {
    out.append(kMagic);
    put_raw<uint32_t>(out, static_cast<uint32_t>(chunk_));
    header_done_ = true;
  }
  aead_->seal_to(pending_, chunk_ad(blob_id_, chunk_, index_, last), out);
  OPENSSL_cleanse(pending_.data(), pending_.size());
  pending_.clear();
  ++index_;
}

void ChunkSealer::add(const char* data, size_t n, std::string& out) {
  while (n > 0) {
    // A full chunk is sealed only once more data arrives: until then it may be the last one.
    if (pending_.size() == chunk_) emit(false, out);
    size_t take = std::min(n, chunk_ - pending_.size());
    pending_.append(data, take);
    data += take;
    n -= take;
  }
}

void ChunkSealer::finish(std::string& out) { emit(true, out); }

// ---------------------------------------------------------------- opener

Result<std::unique_ptr<ChunkOpener>> ChunkOpener::open(const store::BlobReader& reader,
                                                       std::shared_ptr<const core::Aead> aead,
                                                       std::string blob_id, uint64_t plain_size) {
  char head[kSealedHeaderBytes];
  size_t got = 0;
  while (got < sizeof head) {
    auto n = reader.read_at(got, head + got, sizeof head - got);
    if (!n) return fail(n.error());
    if (*n == 0) break;
    got += *n;
  }
  if (got < sizeof head || !has_sealed_header(std::string_view(head, got)))
    return fail(corrupted(blob_id, "missing encryption header"));
  uint32_t chunk;
  std::memcpy(&chunk, head + kMagic.size(), sizeof chunk);
  if (chunk < kMinChunk || chunk > kMaxChunk) return fail(corrupted(blob_id, "bad chunk size"));
  if (reader.size() != sealed_blob_size(plain_size, chunk))
    return fail(corrupted(blob_id, "file is " + std::to_string(reader.size()) + " bytes, expected " +
                                       std::to_string(sealed_blob_size(plain_size, chunk)) +
                                       " (truncated or extended)"));
  return std::unique_ptr<ChunkOpener>(new ChunkOpener(std::move(aead), std::move(blob_id), plain_size, chunk));
}

Status ChunkOpener::load(const store::BlobReader& reader, uint64_t index) const {
  if (cached_index_ == index) return {};
  const uint64_t count = chunk_count(size_, chunk_);
  const bool last = index + 1 == count;
  const size_t plain = last ? static_cast<size_t>(size_ - index * chunk_) : chunk_;
  const uint64_t at = kSealedHeaderBytes + index * (chunk_ + core::Aead::kOverhead);
  sealed_.resize(plain + core::Aead::kOverhead);
  size_t got = 0;
  while (got < sealed_.size()) {
    auto n = reader.read_at(at + got, sealed_.data() + got, sealed_.size() - got);
    if (!n) return fail(n.error());
    if (*n == 0) return fail(corrupted(blob_id_, "truncated chunk " + std::to_string(index)));
    got += *n;
  }
  cached_index_ = UINT64_MAX;
  cache_.resize(plain);
  if (!aead_->open_to(sealed_, chunk_ad(blob_id_, chunk_, index, last), cache_.data())) {
    OPENSSL_cleanse(cache_.data(), cache_.size());
    return fail(corrupted(blob_id_, "chunk " + std::to_string(index) +
                                        " failed authentication (modified, moved or truncated)"));
  }
  cached_index_ = index;
  return {};
}

Status ChunkOpener::prime(const store::BlobReader& reader, uint64_t offset) const {
  std::lock_guard lock(mu_);
  return load(reader, std::min(offset / chunk_, chunk_count(size_, chunk_) - 1));
}

Result<size_t> ChunkOpener::read_at(const store::BlobReader& reader, uint64_t offset, char* buf,
                                    size_t n) const {
  std::lock_guard lock(mu_);
  size_t done = 0;
  while (done < n && offset + done < size_) {
    const uint64_t pos = offset + done;
    const uint64_t index = pos / chunk_;
    ERA_TRY(load(reader, index));
    const size_t in_chunk = static_cast<size_t>(pos - index * chunk_);
    const size_t take = std::min(n - done, cache_.size() - in_chunk);
    std::memcpy(buf + done, cache_.data() + in_chunk, take);
    done += take;
  }
  return done;
}

}  // namespace era::r2
