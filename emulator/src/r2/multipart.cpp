// Multipart uploads, sweeps and clearing: the parts of the R2 engine that span many blobs.
#include <mutex>
#include <set>

#include "core/names.h"
#include "r2/engine.h"
#include "r2/errors.h"
#include "r2/internal.h"
#include "r2/sealing.h"
#include "r2/validate.h"
#include "store/lmdb.h"

namespace era::r2 {
namespace {

using store::Table;
using json = nlohmann::json;

json http_to_record(const HttpMetadata& h) {
  json j = json::object();
  auto s = [&](const char* f, const std::optional<std::string>& v) {
    if (v) j[f] = *v;
  };
  s("contentType", h.content_type);
  s("contentLanguage", h.content_language);
  s("contentDisposition", h.content_disposition);
  s("contentEncoding", h.content_encoding);
  s("cacheControl", h.cache_control);
  if (h.cache_expiry_ms) j["cacheExpiryMs"] = *h.cache_expiry_ms;
  return j;
}

HttpMetadata http_from_record(const json& j) {
  HttpMetadata h;
  auto s = [&](const char* f, std::optional<std::string>& v) {
    if (auto it = j.find(f); it != j.end() && it->is_string()) v = it->get<std::string>();
  };
  s("contentType", h.content_type);
  s("contentLanguage", h.content_language);
  s("contentDisposition", h.content_disposition);
  s("contentEncoding", h.content_encoding);
  s("cacheControl", h.cache_control);
  if (auto it = j.find("cacheExpiryMs"); it != j.end() && it->is_number_integer())
    h.cache_expiry_ms = it->get<int64_t>();
  return h;
}

// The upload record, or nullopt when the id is unknown or names another bucket/key.
// Expired uploads are missing at once (the sweep reclaims them later), like KV expiry.
Result<std::optional<json>> read_upload(store::Txn& txn, std::string_view bucket,
                                        std::string_view key, std::string_view upload_id,
                                        int64_t now_ms, int64_t ttl_ms) {
  auto cur = txn.get(Table::uploads, upload_key(upload_id));
  if (!cur) return fail(cur.error());
  if (!*cur) return std::optional<json>{};
  json j = json::parse(**cur, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Code::STORE_CORRUPT, "malformed upload record");
  if (j.value("bucket", "") != bucket || j.value("key", "") != key) return std::optional<json>{};
  if (j.value("created", int64_t(0)) + ttl_ms <= now_ms) return std::optional<json>{};
  return std::optional<json>(std::move(j));
}

void part_blobs(const json& record, std::vector<std::string>& out) {
  if (auto it = record.find("parts"); it != record.end() && it->is_object())
    for (const auto& [n, p] : it->items()) out.push_back(p.value("blob", ""));
}

std::string strip_quotes(std::string_view e) {
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return std::string(e);
}

Status check_target(std::string_view bucket, std::string_view key) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  if (auto e = validate_key(key)) return fail(*e);
  return {};
}

}  // namespace

Result<std::string> Engine::create_multipart(const OpContext& ctx, std::string_view bucket,
                                             std::string_view key, const HttpMetadata& http,
                                             const CustomMetadata& custom) {
  ERA_TRY(check_target(bucket, key));
  if (auto e = validate_custom_metadata(custom)) return fail(*e);
  std::string id = core::random_id(24);
  json rec = {{"bucket", bucket},
              {"key", key},
              {"created", ctx.now_ms},
              {"http", http_to_record(http)},
              {"custom", custom_metadata_json(custom)},
              {"parts", json::object()}};
  if (auto aead = bucket_cipher(bucket)) {  // encrypted bucket: metadata sealed (r2/sealing.h)
    rec["sealed"] = seal_upload_meta(*aead, bucket, key, id, {{"http", rec["http"]}, {"custom", rec["custom"]}});
    rec.erase("http");
    rec.erase("custom");
  }
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  ERA_TRY(txn->put(Table::uploads, upload_key(id), rec.dump(-1, ' ', false, json::error_handler_t::replace)));
  ERA_TRY(txn->commit());
  return id;
}

Status Engine::check_upload(const OpContext& ctx, std::string_view bucket, std::string_view key,
                            std::string_view upload_id, uint32_t part_number) {
  ERA_TRY(check_target(bucket, key));
  if (part_number < 1 || part_number > opts_.max_parts)
    return fail(errors::invalid_argument("Part number must be an integer between 1 and " +
                                         std::to_string(opts_.max_parts) + ", inclusive"));
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  auto rec = read_upload(*txn, bucket, key, upload_id, ctx.now_ms, upload_ttl_ms(bucket));
  if (!rec) return fail(rec.error());
  if (!*rec) return fail(errors::no_such_upload());
  return {};
}

Result<UploadedPart> Engine::upload_part(const OpContext& ctx, std::string_view bucket,
                                         std::string_view key, std::string_view upload_id,
                                         uint32_t part_number, BodyWriter&& body,
                                         const Checksums& expected) {
  ERA_TRY(check_upload(ctx, bucket, key, upload_id, part_number));
  ERA_TRY(check_body_bucket(body, bucket));
  BodyWriter w(std::move(body));
  Checksums got;
  auto etag = finish_body(w, expected, got);
  if (!etag) return fail(etag.error());
  UploadedPart part{part_number, *etag, w.size(), ctx.now_ms};

  std::shared_lock clear_guard(clear_mu_);
  auto id = w.impl_->blob->commit();  // finish_body without inline_body made one
  if (!id) return fail(id.error());
  std::string old_blob;
  Status st = [&]() -> Status {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    auto rec = read_upload(*txn, bucket, key, upload_id, ctx.now_ms, upload_ttl_ms(bucket));
    if (!rec) return fail(rec.error());
    if (!*rec) return fail(errors::no_such_upload());
    json& parts = (**rec)["parts"];
    std::string n = std::to_string(part_number);
    if (parts.contains(n)) old_blob = parts[n].value("blob", "");  // last upload of a part wins
    parts[n] = {{"blob", *id}, {"size", part.size}, {"etag", part.etag}, {"at", ctx.now_ms}};
    if (w.impl_->sealer) parts[n]["sealed"] = true;
    ERA_TRY(txn->put(Table::uploads, upload_key(upload_id), (*rec)->dump()));
    return txn->commit();
  }();
  clear_guard.unlock();
  if (!st) {
    (void)blobs_.remove(*id);
    return fail(st.error());
  }
  if (!old_blob.empty()) (void)blobs_.remove(old_blob);
  return part;
}

Result<ObjectMeta> Engine::complete_multipart(const OpContext& ctx, std::string_view bucket,
                                              std::string_view key, std::string_view upload_id,
                                              const std::vector<PartRef>& refs, bool allow_empty) {
  ERA_TRY(check_target(bucket, key));
  json record;
  {
    auto txn = db_.begin_read();
    if (!txn) return fail(txn.error());
    auto rec = read_upload(*txn, bucket, key, upload_id, ctx.now_ms, upload_ttl_ms(bucket));
    if (!rec) return fail(rec.error());
    if (!*rec) return fail(errors::no_such_upload());
    record = std::move(**rec);
  }
  if (refs.empty() && !allow_empty) return fail(errors::no_parts());
  struct Chosen {
    uint32_t number;
    std::string blob;
    uint64_t size;
    std::string etag;
    bool sealed;
  };
  std::vector<Chosen> chosen;
  const json& parts = record["parts"];
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i > 0 && refs[i].number <= refs[i - 1].number) return fail(errors::part_order());
    auto it = parts.find(std::to_string(refs[i].number));
    if (it == parts.end() || it->value("etag", "") != strip_quotes(refs[i].etag))
      return fail(errors::invalid_part().with_details({{"partNumber", refs[i].number}}));
    chosen.push_back({refs[i].number, it->value("blob", ""), it->value("size", uint64_t(0)),
                      it->value("etag", ""), it->value("sealed", false)});
  }
  const uint64_t first_size = chosen.empty() ? 0 : chosen.front().size;
  for (size_t i = 0; i < chosen.size(); ++i) {
    bool trailing = i + 1 == chosen.size();
    if (!trailing && chosen[i].size < opts_.min_part_bytes)
      return fail(errors::entity_too_small(chosen[i].number, chosen[i].size, opts_.min_part_bytes));
    if ((!trailing && chosen[i].size != first_size) || (trailing && chosen[i].size > first_size))
      return fail(errors::non_uniform_parts(chosen[i].number, first_size, chosen[i].size));
  }
  uint64_t declared_total = 0;
  for (const auto& p : chosen) declared_total += p.size;
  if (declared_total > max_object_bytes(bucket))  // a declared maxObjectSize
    return fail(errors::bucket_object_too_large(bucket, declared_total, max_object_bytes(bucket)));

  // Concatenate into one new blob (streaming copy) and compute the S3-style etag.
  // Parts are read through open_body (decrypted when sealed); an encrypted bucket seals the
  // concatenation as it is written.
  auto out = blobs_.create();
  if (!out) return fail(out.error());
  const auto aead = bucket_cipher(bucket);
  std::unique_ptr<ChunkSealer> sealer;
  if (aead) sealer = std::make_unique<ChunkSealer>(aead, out->id());
  std::string sealed;
  core::Digest md5s(core::Digest::Alg::md5);
  uint64_t total = 0;
  {
    std::string buf(kWriteBuffer, '\0');
    for (const auto& p : chosen) {
      auto raw = core::from_hex(p.etag);
      if (raw) md5s.update(*raw);
      ObjectMeta part;
      part.key = std::string(key);
      part.blob = p.blob;
      part.size = p.size;
      part.sealed = p.sealed;
      auto in = open_body(bucket, part, 0);
      if (!in) {
        if (in.error().code == Code::STORE_IO) return fail(errors::no_such_upload());  // aborted meanwhile
        return fail(in.error());
      }
      for (uint64_t off = 0; off < (*in)->size();) {
        auto n = (*in)->read_at(off, buf.data(), buf.size());
        if (!n) return fail(n.error());
        if (*n == 0) return fail(Code::STORE_CORRUPT, "multipart part shorter than recorded");
        if (sealer) {
          sealer->add(buf.data(), *n, sealed);
          ERA_TRY(out->write(sealed.data(), sealed.size()));
          sealed.clear();
        } else {
          ERA_TRY(out->write(buf.data(), *n));
        }
        off += *n;
      }
      total += (*in)->size();
    }
    if (sealer) {
      sealer->finish(sealed);
      ERA_TRY(out->write(sealed.data(), sealed.size()));
    }
  }
  ObjectMeta m;
  m.key = std::string(key);
  m.size = total;
  m.etag = core::to_hex(md5s.finish()) + "-" + std::to_string(chosen.size());
  m.version = core::random_id(16);
  m.uploaded_ms = ctx.now_ms;
  m.parts = static_cast<uint32_t>(chosen.size());
  if (auto s = record.find("sealed"); s != record.end() && s->is_string()) {
    auto meta = open_upload_meta(aead.get(), bucket, key, upload_id, s->get<std::string>());
    if (!meta) return fail(meta.error());
    record["http"] = std::move((*meta)["http"]);
    record["custom"] = std::move((*meta)["custom"]);
  }
  if (auto h = record.find("http"); h != record.end() && h->is_object()) m.http = http_from_record(*h);
  if (auto c = record.find("custom"); c != record.end() && c->is_object())
    for (auto it = c->begin(); it != c->end(); ++it)
      if (it->is_string()) m.custom[it.key()] = it->get<std::string>();

  std::shared_lock clear_guard(clear_mu_);
  auto id = out->commit();
  if (!id) return fail(id.error());
  m.blob = *id;
  seal_meta(bucket, m, sealer != nullptr);
  std::vector<std::string> doomed;
  Status st = [&]() -> Status {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    auto rec = read_upload(*txn, bucket, key, upload_id, ctx.now_ms, upload_ttl_ms(bucket));
    if (!rec) return fail(rec.error());
    if (!*rec) return fail(errors::no_such_upload());
    // A part re-uploaded while we copied: the copy is stale, let the client retry.
    for (const auto& p : chosen) {
      auto it = (**rec)["parts"].find(std::to_string(p.number));
      if (it == (**rec)["parts"].end() || it->value("blob", "") != p.blob)
        return fail(errors::invalid_part().with_details({{"partNumber", p.number}}));
    }
    std::string skey = storage_key(bucket, key);
    auto cur = txn->get(Table::r2, skey);
    if (!cur) return fail(cur.error());
    m.created_ms = m.uploaded_ms;
    if (*cur) {
      if (auto old = decode_object(**cur, false)) {
        doomed.push_back(old->blob);
        m.created_ms = old->created_ms;
      }
    }
    ERA_TRY(txn->put(Table::r2, skey, encode_object(m)));
    auto d = txn->del(Table::uploads, upload_key(upload_id));
    if (!d) return fail(d.error());
    part_blobs(**rec, doomed);
    return txn->commit();
  }();
  clear_guard.unlock();
  if (!st) {
    (void)blobs_.remove(m.blob);
    return fail(st.error());
  }
  for (const auto& b : doomed) (void)blobs_.remove(b);
  return m;
}

Status Engine::abort_multipart(const OpContext& ctx, std::string_view bucket, std::string_view key,
                               std::string_view upload_id) {
  ERA_TRY(check_target(bucket, key));
  std::vector<std::string> doomed;
  {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    auto rec = read_upload(*txn, bucket, key, upload_id, ctx.now_ms, upload_ttl_ms(bucket));
    if (!rec) return fail(rec.error());
    if (!*rec) return fail(errors::no_such_upload());
    part_blobs(**rec, doomed);
    auto d = txn->del(Table::uploads, upload_key(upload_id));
    if (!d) return fail(d.error());
    ERA_TRY(txn->commit());
  }
  for (const auto& b : doomed) (void)blobs_.remove(b);
  return {};
}

// ---------------------------------------------------------------- sweeps and clearing

Result<size_t> Engine::sweep(int64_t now_ms) {
  std::vector<std::string> doomed;
  size_t expired = 0;
  {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    std::vector<std::string> keys;
    ERA_TRY(txn->scan(Table::uploads, kUploadPrefix, {}, [&](std::string_view k, std::string_view v) {
      json j = json::parse(v, nullptr, false);
      if (j.is_object() && j.value("created", int64_t(0)) + upload_ttl_ms(j.value("bucket", "")) <= now_ms) {
        keys.emplace_back(k);
        part_blobs(j, doomed);
      }
      return true;
    }));
    for (const auto& k : keys) {
      auto d = txn->del(Table::uploads, k);
      if (!d) return fail(d.error());
      ++expired;
    }
    if (!keys.empty()) ERA_TRY(txn->commit());
  }
  for (const auto& b : doomed) (void)blobs_.remove(b);
  auto gone = sweep_lifecycle(now_ms);
  if (!gone) return fail(gone.error());
  return expired + *gone;
}

Result<size_t> Engine::sweep_orphans() {
  std::set<std::string, std::less<>> live;
  {
    auto txn = db_.begin_read();
    if (!txn) return fail(txn.error());
    ERA_TRY(txn->scan(Table::r2, {}, {}, [&](std::string_view, std::string_view v) {
      if (auto m = decode_object(v, false)) live.insert(m->blob);
      return true;
    }));
    ERA_TRY(txn->scan(Table::uploads, kUploadPrefix, {}, [&](std::string_view, std::string_view v) {
      json j = json::parse(v, nullptr, false);
      std::vector<std::string> ids;
      if (j.is_object()) part_blobs(j, ids);
      live.insert(ids.begin(), ids.end());
      return true;
    }));
  }
  return blobs_.sweep([&](std::string_view id) { return live.contains(id); });
}

Result<size_t> Engine::clear(std::string_view ns) {
  std::unique_lock clear_guard(clear_mu_);
  size_t removed = 0;
  std::vector<std::string> doomed;
  {
    auto txn = db_.begin_write();
    if (!txn) return fail(txn.error());
    if (ns.empty()) {
      auto n = txn->erase_prefix(Table::r2, {});
      if (!n) return fail(n.error());
      removed = *n;
      auto u = txn->erase_prefix(Table::uploads, kUploadPrefix);
      if (!u) return fail(u.error());
    } else {
      if (auto e = core::validate_namespace(ns)) return fail(*e);
      std::string prefix = bucket_prefix(ns);
      ERA_TRY(txn->scan(Table::r2, prefix, {}, [&](std::string_view, std::string_view v) {
        if (auto m = decode_object(v, false)) doomed.push_back(m->blob);
        return true;
      }));
      auto n = txn->erase_prefix(Table::r2, prefix);
      if (!n) return fail(n.error());
      removed = *n;
      std::vector<std::string> uploads;
      ERA_TRY(txn->scan(Table::uploads, kUploadPrefix, {}, [&](std::string_view k, std::string_view v) {
        json j = json::parse(v, nullptr, false);
        if (j.is_object() && j.value("bucket", "") == ns) {
          uploads.emplace_back(k);
          part_blobs(j, doomed);
        }
        return true;
      }));
      for (const auto& k : uploads) {
        auto d = txn->del(Table::uploads, k);
        if (!d) return fail(d.error());
      }
    }
    ERA_TRY(txn->commit());
  }
  if (ns.empty()) {
    ERA_TRY(blobs_.clear());  // every shard at once; in-flight temp files are kept
  } else {
    for (const auto& b : doomed) (void)blobs_.remove(b);
  }
  return removed;
}

}  // namespace era::r2
