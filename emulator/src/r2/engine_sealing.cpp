// The R2 engine's side of encryption at rest (issue 8): per-bucket ciphers, and the one place
// bodies are opened and metadata sealed/opened. Formats: r2/sealed_body.h, r2/sealing.h.
#include <mutex>

#include "r2/engine.h"
#include "r2/internal.h"
#include "r2/sealing.h"
#include "store/blob_store.h"

namespace era::r2 {

void Engine::set_bucket_cipher(std::string_view bucket, std::shared_ptr<const core::Aead> aead) {
  ciphers_.set(bucket, std::move(aead));
}

std::shared_ptr<const core::Aead> Engine::bucket_cipher(std::string_view bucket) const {
  return ciphers_.get(bucket);
}

Status Engine::check_body_bucket(const BodyWriter& body, std::string_view bucket) const {
  if (body.impl_->bucket != bucket)
    return fail(Code::INTERNAL, "R2 body begun for bucket \"" + body.impl_->bucket +
                                    "\" stored into bucket \"" + std::string(bucket) + "\"");
  return {};
}

void Engine::seal_meta(std::string_view bucket, ObjectMeta& m, bool body_sealed) const {
  if (!body_sealed) return;
  auto aead = bucket_cipher(bucket);
  // The body was sealed with this bucket's cipher at begin_body; ciphers are set before serving,
  // so it is still there.
  if (aead) seal_object_meta(*aead, bucket, m);
}

Status Engine::open_meta(std::string_view bucket, ObjectMeta& m) const {
  if (!m.sealed) return {};
  return open_object_meta(bucket_cipher(bucket).get(), bucket, m);
}

Result<std::shared_ptr<Body>> Engine::open_body(std::string_view bucket, const ObjectMeta& m,
                                                uint64_t first_offset) const {
  if (m.inline_body)  // plain and small: the record holds it (a sealed record never does)
    return std::make_shared<Body>(std::make_unique<Body::Impl>(*m.inline_body));
  auto reader = blobs_.open(m.blob);
  if (!reader) return fail(reader.error());
  auto impl = std::make_unique<Body::Impl>(std::move(*reader));
  auto aead = bucket_cipher(bucket);
  if (m.sealed) {
    if (!aead) return fail(no_cipher(bucket));
    auto opener = ChunkOpener::open(*impl->reader, aead, m.blob, m.size);
    if (!opener) return fail(opener.error());
    ERA_TRY((*opener)->prime(*impl->reader, first_offset));
    impl->size = m.size;
    impl->opener = std::move(*opener);
  } else if (aead && impl->reader->size() >= kSealedHeaderBytes) {
    // A plain record over a sealed body: the record was altered. Serve nothing.
    char head[kSealedHeaderBytes];
    auto n = impl->reader->read_at(0, head, sizeof head);
    if (n && has_sealed_header(std::string_view(head, *n)))
      return fail(Code::DATA_CORRUPTED, "R2 object " + std::string(bucket) + "/" + m.key +
                                            ": record says plaintext but the body is encrypted");
  }
  return std::make_shared<Body>(std::move(impl));
}

}  // namespace era::r2
