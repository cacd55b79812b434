#pragma once
// Engine internals shared by engine.cpp and multipart.cpp (not for api/).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "r2/digest_pipe.h"
#include "r2/engine.h"
#include "r2/sealed_body.h"
#include "store/blob_store.h"

namespace era::r2 {

inline constexpr size_t kWriteBuffer = size_t(1) << 20;
inline constexpr std::string_view kUploadPrefix{"r2\0", 3};  // uploads table: "r2\0" + upload id

inline std::string bucket_prefix(std::string_view bucket) {
  std::string p(bucket);
  p.push_back('\0');
  return p;
}
inline std::string storage_key(std::string_view bucket, std::string_view key) {
  std::string k = bucket_prefix(bucket);
  k.append(key);
  return k;
}
inline std::string upload_key(std::string_view upload_id) {
  return std::string(kUploadPrefix) + std::string(upload_id);
}

struct BodyWriter::Impl {
  Impl(store::BlobStore& s, uint64_t max) : blobs(s), limit(max) {}
  store::BlobStore& blobs;
  // The temp file, created by the first write that needs the disk (a sealed body: at once, as
  // its id is sealed in). A body that never outgrows one buffer may end inline, with no file.
  std::optional<store::BlobWriter> blob;
  uint64_t limit;
  uint64_t size = 0;
  std::string buf;
  core::Digest md5{core::Digest::Alg::md5};
  std::unique_ptr<core::Digest> sha1, sha256, sha384, sha512;
  std::string bucket;                    // begin_body's bucket
  std::unique_ptr<ChunkSealer> sealer;   // set when that bucket encrypts: buf holds sealed bytes
  std::unique_ptr<DigestPipe> pipe;      // plain body past its first buffer: digests run there
                                         // (declared after the digests: destroyed before them)
  Status ensure_blob() {
    if (blob) return {};
    auto b = blobs.create();
    if (!b) return fail(b.error());
    blob.emplace(std::move(*b));
    return {};
  }
  Status write_blob(const char* data, size_t n) {
    ERA_TRY(ensure_blob());
    return blob->write(data, n);
  }
  void update_digests(const char* data, size_t n) {
    md5.update(data, n);
    if (sha1) sha1->update(data, n);
    if (sha256) sha256->update(data, n);
    if (sha384) sha384->update(data, n);
    if (sha512) sha512->update(data, n);
  }
  std::vector<core::Digest*> digests() {  // for the pipe, once per upload
    std::vector<core::Digest*> d{&md5};
    if (sha1) d.push_back(sha1.get());
    if (sha256) d.push_back(sha256.get());
    if (sha384) d.push_back(sha384.get());
    if (sha512) d.push_back(sha512.get());
    return d;
  }
};

struct Body::Impl {
  explicit Impl(store::BlobReader r) : reader(std::move(r)), size(reader->size()) {}
  explicit Impl(std::string bytes) : data(std::move(bytes)), size(data.size()) {}
  std::optional<store::BlobReader> reader;  // absent for an inline body, which is `data`
  std::string data;
  uint64_t size;                         // of the plaintext
  std::unique_ptr<ChunkOpener> opener;   // set for a sealed body: reads decrypt through it
};

}  // namespace era::r2
