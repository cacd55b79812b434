#include "r2/engine.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "core/crypto.h"
#include "core/names.h"
#include "r2/errors.h"
#include "r2/internal.h"
#include "r2/validate.h"
#include "store/blob_store.h"
#include "store/lmdb.h"

namespace era::r2 {

using store::Table;

// ---------------------------------------------------------------- body writer / body

BodyWriter::BodyWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BodyWriter::BodyWriter(BodyWriter&&) noexcept = default;
BodyWriter::~BodyWriter() = default;

namespace {
// A full buffer of a plain body goes to disk, then to the digest thread (started here, so
// bodies of up to one buffer never start one).
Status flush_plain(BodyWriter::Impl& w) {
  ERA_TRY(w.write_blob(w.buf.data(), w.buf.size()));
  if (!w.pipe) w.pipe = std::make_unique<DigestPipe>(w.digests());
  w.buf = w.pipe->push(std::move(w.buf));
  w.buf.reserve(kWriteBuffer);
  return {};
}
}  // namespace

Status BodyWriter::write(const char* data, size_t n) {
  Impl& w = *impl_;
  if (w.size + n > w.limit) return fail(errors::entity_too_large(w.limit));
  w.size += n;
  if (w.sealer) {  // encrypted bucket: only sealed chunks reach the disk
    w.update_digests(data, n);
    w.sealer->add(data, n, w.buf);
    if (w.buf.size() < kWriteBuffer) return {};
    ERA_TRY(w.write_blob(w.buf.data(), w.buf.size()));
    w.buf.clear();
    return {};
  }
  // A body's first buffer handed over whole (a body already in memory, as an ERA JSON put) goes
  // to disk from the caller's bytes: copying it cost a memcpy and a fresh 1 MiB buffer's page
  // faults per object. Its digests run here; no pipe exists yet, so their order holds. Only the
  // first buffer: the rest of a bigger body still overlaps its digests with the disk writes.
  if (n >= kWriteBuffer && w.size == n && !w.pipe) {
    ERA_TRY(w.write_blob(data, kWriteBuffer));
    w.update_digests(data, kWriteBuffer);
    data += kWriteBuffer;
    n -= kWriteBuffer;
  }
  // Coalesce the server's small reads into buffer-sized writes.
  while (n > 0) {
    if (w.buf.size() >= kWriteBuffer) ERA_TRY(flush_plain(w));
    size_t take = std::min(n, kWriteBuffer - w.buf.size());
    w.buf.append(data, take);
    data += take;
    n -= take;
  }
  return {};
}

uint64_t BodyWriter::size() const { return impl_->size; }

Body::Body(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Body::~Body() = default;
uint64_t Body::size() const { return impl_->size; }
Result<size_t> Body::read_at(uint64_t offset, char* buf, size_t n) const {
  if (!impl_->reader) {  // inline
    if (offset >= impl_->data.size()) return size_t(0);
    n = std::min<uint64_t>(n, impl_->data.size() - offset);
    std::memcpy(buf, impl_->data.data() + offset, n);
    return n;
  }
  if (impl_->opener) return impl_->opener->read_at(*impl_->reader, offset, buf, n);
  return impl_->reader->read_at(offset, buf, n);
}

// ---------------------------------------------------------------- engine

Engine::Engine(store::Lmdb& db, store::BlobStore& blobs, Options opts)
    : db_(db), blobs_(blobs), opts_(opts) {}
Engine::~Engine() = default;

Status Engine::check_put(std::string_view bucket, std::string_view key,
                         const PutOptions& opts) const {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  if (auto e = validate_key(key)) return fail(*e);
  if (auto e = validate_custom_metadata(opts.custom)) return fail(*e);
  return {};
}

Result<BodyWriter> Engine::begin_body(std::string_view bucket, const Checksums& expected) {
  auto impl = std::make_unique<BodyWriter::Impl>(blobs_, opts_.max_put_bytes);
  impl->bucket = std::string(bucket);
  if (auto aead = bucket_cipher(bucket)) {  // the blob id is sealed into every chunk: create it now
    ERA_TRY(impl->ensure_blob());
    impl->sealer = std::make_unique<ChunkSealer>(aead, impl->blob->id());
  }
  if (!expected.sha1.empty()) impl->sha1 = std::make_unique<core::Digest>(core::Digest::Alg::sha1);
  if (!expected.sha256.empty())
    impl->sha256 = std::make_unique<core::Digest>(core::Digest::Alg::sha256);
  if (!expected.sha384.empty())
    impl->sha384 = std::make_unique<core::Digest>(core::Digest::Alg::sha384);
  if (!expected.sha512.empty())
    impl->sha512 = std::make_unique<core::Digest>(core::Digest::Alg::sha512);
  return BodyWriter(std::move(impl));
}

Result<std::string> Engine::finish_body(BodyWriter& body, const Checksums& expected,
                                        Checksums& got, std::optional<std::string>* inline_body) {
  BodyWriter::Impl& w = *body.impl_;
  if (w.sealer) w.sealer->finish(w.buf);
  // A small plain body that never reached the disk stays in memory, for the record.
  const bool keep = inline_body && !w.blob && !w.sealer && opts_.inline_body_bytes > 0 &&
                    w.size <= opts_.inline_body_bytes;
  if (!keep) ERA_TRY(w.write_blob(w.buf.data(), w.buf.size()));  // also creates an empty body's file
  if (!w.sealer) {  // the plain tail still needs digesting
    if (w.pipe) {
      w.pipe->push(std::move(w.buf));
      w.pipe->finish();
      w.pipe.reset();
    } else {
      w.update_digests(w.buf.data(), w.buf.size());
    }
  }
  if (keep) *inline_body = std::move(w.buf);
  w.buf.clear();
  got.md5 = w.md5.finish();
  if (w.sha1) got.sha1 = w.sha1->finish();
  if (w.sha256) got.sha256 = w.sha256->finish();
  if (w.sha384) got.sha384 = w.sha384->finish();
  if (w.sha512) got.sha512 = w.sha512->finish();
  auto check = [](const char* alg, const std::string& want, const std::string& have) -> Status {
    if (!want.empty() && want != have)
      return fail(errors::bad_digest(alg, core::to_hex(want), core::to_hex(have)));
    return {};
  };
  ERA_TRY(check("MD5", expected.md5, got.md5));
  ERA_TRY(check("SHA-1", expected.sha1, got.sha1));
  ERA_TRY(check("SHA-256", expected.sha256, got.sha256));
  ERA_TRY(check("SHA-384", expected.sha384, got.sha384));
  ERA_TRY(check("SHA-512", expected.sha512, got.sha512));
  return core::to_hex(got.md5);
}

Result<ObjectMeta> Engine::put(const OpContext& ctx, std::string_view bucket, std::string_view key,
                               BodyWriter&& body, const PutOptions& opts) {
  ERA_TRY(check_put(bucket, key, opts));
  ERA_TRY(check_body_bucket(body, bucket));
  BodyWriter w(std::move(body));
  if (w.size() > max_object_bytes(bucket))  // a declared maxObjectSize (the temp blob is dropped)
    return fail(errors::bucket_object_too_large(bucket, w.size(), max_object_bytes(bucket)));
  ObjectMeta m;
  auto etag = finish_body(w, opts.expected, m.checksums, &m.inline_body);
  if (!etag) return fail(etag.error());
  m.key = std::string(key);
  m.size = w.size();
  m.etag = std::move(*etag);
  m.version = core::random_id(16);
  m.uploaded_ms = ctx.now_ms;
  m.http = opts.http;
  m.custom = opts.custom;

  std::shared_lock clear_guard(clear_mu_);
  if (w.impl_->blob) {
    auto id = w.impl_->blob->commit();
    if (!id) return fail(id.error());
    m.blob = std::move(*id);
  }
  seal_meta(bucket, m, w.impl_->sealer != nullptr);
  std::string old_blob;
  Status st = [&]() -> Status {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    std::string skey = storage_key(bucket, key);
    auto cur = txn->get(Table::r2, skey);
    if (!cur) return fail(cur.error());
    std::optional<ObjectMeta> existing;
    if (*cur) existing = decode_object(**cur, false);
    if (existing) old_blob = existing->blob;
    if (existing && is_expired(bucket, *existing, ctx.now_ms)) existing.reset();  // lifecycle: gone
    if (evaluate(opts.only_if, existing ? &*existing : nullptr) != CondResult::pass)
      return fail(errors::precondition_failed());
    m.created_ms = existing ? existing->created_ms : m.uploaded_ms;
    ERA_TRY(txn->put(Table::r2, skey, encode_object(m)));
    ERA_TRY(txn->commit());
    return {};
  }();
  clear_guard.unlock();
  if (!st) {
    (void)blobs_.remove(m.blob);  // none for an inline body: a no-op
    return fail(st.error());
  }
  if (!old_blob.empty()) (void)blobs_.remove(old_blob);
  return m;
}

Result<ObjectMeta> Engine::put_bytes(const OpContext& ctx, std::string_view bucket,
                                     std::string_view key, std::string_view data,
                                     const PutOptions& opts) {
  ERA_TRY(check_put(bucket, key, opts));
  auto w = begin_body(bucket, opts.expected);
  if (!w) return fail(w.error());
  ERA_TRY(w->write(data.data(), data.size()));
  return put(ctx, bucket, key, std::move(*w), opts);
}

Result<std::optional<GetResult>> Engine::get(const OpContext& ctx, std::string_view bucket,
                                             std::string_view key, const GetOptions& opts) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  if (auto e = validate_key(key)) return fail(*e);
  std::string skey = storage_key(bucket, key);
  // A concurrent overwrite may unlink the blob between reading the record and opening it;
  // the record has changed by then, so read it again.
  for (int attempt = 0;; ++attempt) {
    GetResult out;
    {
      auto txn = db_.begin_read();
      if (!txn) return fail(txn.error());
      auto cur = txn->get(Table::r2, skey);
      if (!cur) return fail(cur.error());
      if (!*cur) return std::optional<GetResult>{};
      auto m = decode_object(**cur, opts.body);  // HEAD needs no inline body
      if (!m) return fail(Code::STORE_CORRUPT, "malformed R2 record");
      if (is_expired(bucket, *m, ctx.now_ms)) return std::optional<GetResult>{};  // lifecycle
      out.meta = std::move(*m);
      out.meta.key = std::string(key);
    }
    ERA_TRY(open_meta(bucket, out.meta));
    out.cond = evaluate(opts.only_if, &out.meta);
    if (out.cond != CondResult::pass) return std::optional<GetResult>(std::move(out));
    if (opts.range) {
      auto r = resolve(*opts.range, out.meta.size);
      if (!r) return fail(Error(r.error()).with_details({{"size", out.meta.size}}));
      out.range = *r;
    }
    if (!opts.body) return std::optional<GetResult>(std::move(out));
    auto body = open_body(bucket, out.meta, out.range ? out.range->offset : 0);
    if (!body) {
      if (body.error().code == Code::STORE_IO && attempt < 8) continue;
      return fail(body.error());
    }
    out.body = std::move(*body);
    return std::optional<GetResult>(std::move(out));
  }
}

Status Engine::del(const OpContext&, std::string_view bucket, std::string_view key) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  if (auto e = validate_key(key)) return fail(*e);
  std::string old_blob;
  {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    std::string skey = storage_key(bucket, key);
    auto cur = txn->get(Table::r2, skey);
    if (!cur) return fail(cur.error());
    if (!*cur) return {};
    if (auto m = decode_object(**cur, false)) old_blob = m->blob;
    auto d = txn->del(Table::r2, skey);
    if (!d) return fail(d.error());
    ERA_TRY(txn->commit());
  }
  if (!old_blob.empty()) (void)blobs_.remove(old_blob);
  return {};
}

Result<ListResult> Engine::list(const OpContext& ctx, std::string_view bucket,
                                const ListOptions& opts) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  if (auto e = validate_limit(opts.limit)) return fail(*e);
  const std::string base = bucket_prefix(bucket);
  // Everything that starts with a delimited group sorts before group + 1024 x 0xff, because
  // keys are at most 1,024 bytes: resuming "after" that skips the whole group in one seek.
  auto after_group = [&](std::string_view group) {
    return base + std::string(group) + std::string(kMaxKeyBytes, '\xff');
  };

  std::string after;
  if (!opts.cursor.empty()) {
    auto c = core::base64_decode(opts.cursor);
    if (!c || c->size() < 2 || ((*c)[0] != 'k' && (*c)[0] != 'p')) return fail(errors::invalid_cursor());
    std::string_view last = std::string_view(*c).substr(1);
    after = (*c)[0] == 'p' ? after_group(last) : base + std::string(last);
  }
  if (!opts.start_after.empty()) {
    std::string sa = base + opts.start_after;
    if (sa > after) after = std::move(sa);
  }

  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  ListResult out;
  int count = 0;
  char last_kind = 0;
  std::string last;
  const std::string scan_prefix = base + opts.prefix;
  const auto expired_cutoff = expired_before(bucket, ctx.now_ms);  // lifecycle
  for (;;) {
    bool restart = false;
    Status corrupt;
    ERA_TRY(txn->scan(Table::r2, scan_prefix, after, [&](std::string_view k, std::string_view v) {
      std::string_view key = k.substr(base.size());
      if (expired_cutoff) {  // an expired object is absent, and cannot open a delimited group
        auto m = decode_object(v, false);
        if (m && m->uploaded_ms <= *expired_cutoff) return true;
      }
      if (!opts.delimiter.empty()) {
        size_t pos = key.find(opts.delimiter, opts.prefix.size());
        if (pos != std::string_view::npos) {
          if (count == opts.limit) {
            out.truncated = true;
            return false;
          }
          std::string group(key.substr(0, pos + opts.delimiter.size()));
          after = after_group(group);
          out.delimited_prefixes.push_back(group);
          last_kind = 'p';
          last = std::move(group);
          ++count;
          restart = true;
          return false;
        }
      }
      if (count == opts.limit) {
        out.truncated = true;
        return false;
      }
      auto m = decode_object(v, false);
      if (!m) {
        corrupt = fail(Code::STORE_CORRUPT, "malformed R2 record");
        return false;
      }
      m->key = std::string(key);
      if (auto opened = open_meta(bucket, *m); !opened) {
        corrupt = opened;
        return false;
      }
      out.objects.push_back(std::move(*m));
      last_kind = 'k';
      last = std::string(key);
      ++count;
      return true;
    }));
    if (!corrupt) return fail(corrupt.error());
    if (!restart) break;
  }
  if (out.truncated) out.cursor = core::base64_encode(std::string(1, last_kind) + last);
  return out;
}

Status Engine::list_resources(const OpContext& ctx, const ResourceFilter& filter,
                              const std::function<void(Resource&&)>& out) {
  if (!filter.type.empty() && filter.type != "r2") return {};
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  std::string prefix;
  if (!filter.ns.empty()) prefix = bucket_prefix(filter.ns) + filter.key_prefix;
  return txn->scan(Table::r2, prefix, {}, [&](std::string_view k, std::string_view v) {
    size_t zero = k.find('\0');
    if (zero == std::string_view::npos) return true;
    std::string_view key = k.substr(zero + 1);
    if (!key.starts_with(filter.key_prefix)) return true;
    auto m = decode_object(v, false);
    if (!m || is_expired(k.substr(0, zero), *m, ctx.now_ms)) return true;
    m->key = std::string(key);
    if (!open_meta(k.substr(0, zero), *m)) return true;  // unreadable: not listed
    Resource r;
    r.type = "r2";
    r.ns = std::string(k.substr(0, zero));
    r.key = std::string(key);
    r.size = m->size;
    if (!m->custom.empty()) r.metadata = custom_metadata_json(m->custom);
    r.created_ms = m->created_ms;
    r.updated_ms = m->uploaded_ms;
    out(std::move(r));
    return true;
  });
}

}  // namespace era::r2
