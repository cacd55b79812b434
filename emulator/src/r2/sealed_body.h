#pragma once
// Encrypted R2 bodies at rest (issue 8): a blob of independently authenticated chunks, so that
// streaming writes encrypt as they go and range reads decrypt only the chunks they touch.
//
//   blob  = header chunk_0 ... chunk_{n-1}
//   header = 12-byte magic "\x89ERA-AEAD\r\n\x1a" + u32 chunk size (little-endian)    (16 bytes)
//   chunk_i = nonce(12) | AES-256-GCM(plaintext bytes [i*C, min((i+1)*C, size))) | tag(16)
//   n = max(1, ceil(size / C)): every chunk but the last holds exactly C bytes; an empty body is
//       one empty last chunk.
//   associated data of chunk i = "era-r2-chunk\0" + blob id + "\0" + u32 C + u64 i + u8 last
//
// The blob id binds a chunk to its file (a chunk or file copied elsewhere fails), i to its place
// (swapped or reordered chunks fail), `last` to the end (a file cut at a chunk boundary fails),
// and the recorded plaintext size fixes the expected file size, checked at open. The object
// record binds key, blob id and size together (r2/sealing.h), so the whole chain is covered.
// A read never returns bytes that failed authentication: DATA_CORRUPTED instead.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/aead.h"
#include "core/result.h"
#include "store/blob_store.h"

namespace era::r2 {

inline constexpr size_t kChunkBytes = size_t(64) << 10;
inline constexpr size_t kSealedHeaderBytes = 16;

// The blob file size for a body of `plain_size` bytes.
uint64_t sealed_blob_size(uint64_t plain_size, size_t chunk = kChunkBytes);
// True when `head` (the first bytes of a blob) starts with the sealed-body header.
bool has_sealed_header(std::string_view head);

// Streaming encryptor: plaintext in, blob bytes out. Holds at most one chunk of plaintext.
class ChunkSealer {
 public:
  ChunkSealer(std::shared_ptr<const core::Aead> aead, std::string blob_id, size_t chunk = kChunkBytes);
  ~ChunkSealer();
  // Appends to `out` the header (first call) and every chunk known not to be the last.
  void add(const char* data, size_t n, std::string& out);
  // Appends the last chunk. Call once, after the last add().
  void finish(std::string& out);

 private:
  void emit(bool last, std::string& out);
  std::shared_ptr<const core::Aead> aead_;
  std::string blob_id_;
  size_t chunk_;
  std::string pending_;  // plaintext not yet sealed, at most one chunk
  uint64_t index_ = 0;
  bool header_done_ = false;
};

// Random-access decryptor over an open sealed blob. Thread-safe; caches the last chunk opened.
class ChunkOpener {
 public:
  // Reads and checks the header and the file size against `plain_size`: DATA_CORRUPTED if the
  // blob is not a sealed body of that size.
  static Result<std::unique_ptr<ChunkOpener>> open(const store::BlobReader& reader,
                                                   std::shared_ptr<const core::Aead> aead,
                                                   std::string blob_id, uint64_t plain_size);
  uint64_t size() const { return size_; }
  // Opens and authenticates the chunk holding `offset` (the last chunk when past the end, so an
  // empty body is checked too) before any byte is sent.
  Status prime(const store::BlobReader& reader, uint64_t offset) const;
  // Up to n plaintext bytes at offset (0 at the end); DATA_CORRUPTED when a chunk fails.
  Result<size_t> read_at(const store::BlobReader& reader, uint64_t offset, char* buf, size_t n) const;

 private:
  ChunkOpener(std::shared_ptr<const core::Aead> aead, std::string blob_id, uint64_t size, size_t chunk)
      : aead_(std::move(aead)), blob_id_(std::move(blob_id)), size_(size), chunk_(chunk) {}
  Status load(const store::BlobReader& reader, uint64_t index) const;  // into cache_, under mu_
  std::shared_ptr<const core::Aead> aead_;
  std::string blob_id_;
  uint64_t size_;
  size_t chunk_;
  mutable std::mutex mu_;
  mutable uint64_t cached_index_ = UINT64_MAX;
  mutable std::string cache_;
  mutable std::string sealed_;  // read buffer
};

}  // namespace era::r2
