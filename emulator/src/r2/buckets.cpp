// Buckets as S3 sees them, upload and part listings, and the source side of server-side copies.
#include <algorithm>

#include "core/names.h"
#include "r2/engine.h"
#include "r2/errors.h"
#include "r2/internal.h"
#include "r2/validate.h"
#include "store/lmdb.h"

namespace era::r2 {
namespace {

using store::Table;
using json = nlohmann::json;

constexpr std::string_view kBucketPrefix{"r2bucket\0", 9};  // sys table: prefix + name → JSON record

std::string bucket_record_key(std::string_view bucket) {
  std::string k(kBucketPrefix);
  k.append(bucket);
  return k;
}

Error no_such_bucket(std::string_view bucket) {
  return Error(Code::S3_NO_SUCH_BUCKET, "The specified bucket does not exist.").with_details({{"bucket", bucket}});
}

// True when the bucket holds at least one object record or upload (expired ones included: the
// sweep has not reclaimed them yet, and S3 would still call the bucket non-empty).
Result<bool> holds_anything(store::Txn& txn, std::string_view bucket) {
  bool found = false;
  ERA_TRY(txn.scan(Table::r2, bucket_prefix(bucket), {}, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  }));
  if (found) return true;
  ERA_TRY(txn.scan(Table::uploads, kUploadPrefix, {}, [&](std::string_view, std::string_view v) {
    json j = json::parse(v, nullptr, false);
    if (j.is_object() && j.value("bucket", "") == bucket) found = true;
    return !found;
  }));
  return found;
}

Result<json> read_record(store::Txn& txn, std::string_view bucket) {
  auto v = txn.get(Table::sys, bucket_record_key(bucket));
  if (!v) return fail(v.error());
  if (!*v) return json();
  json j = json::parse(**v, nullptr, false);
  if (!j.is_object()) return fail(Code::STORE_CORRUPT, "malformed bucket record");
  return j;
}

}  // namespace

Result<bool> Engine::create_bucket(const OpContext& ctx, std::string_view bucket) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto rec = read_record(*txn, bucket);
  if (!rec) return fail(rec.error());
  if (!rec->is_null()) return false;
  auto any = holds_anything(*txn, bucket);
  if (!any) return fail(any.error());
  ERA_TRY(txn->put(Table::sys, bucket_record_key(bucket), json{{"created", ctx.now_ms}}.dump()));
  ERA_TRY(txn->commit());
  return !*any;
}

Result<bool> Engine::bucket_exists(std::string_view bucket) {
  if (core::validate_namespace(bucket)) return false;
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  auto rec = read_record(*txn, bucket);
  if (!rec) return fail(rec.error());
  if (!rec->is_null()) return true;
  return holds_anything(*txn, bucket);
}

Status Engine::delete_bucket(const OpContext&, std::string_view bucket) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto any = holds_anything(*txn, bucket);
  if (!any) return fail(any.error());
  if (*any)
    return fail(Error(Code::S3_BUCKET_NOT_EMPTY, "The bucket you tried to delete is not empty.")
                    .with_details({{"bucket", bucket}}));
  auto d = txn->del(Table::sys, bucket_record_key(bucket));
  if (!d) return fail(d.error());
  if (!*d) return fail(no_such_bucket(bucket));
  return txn->commit();
}

Result<std::vector<BucketInfo>> Engine::list_buckets() {
  std::map<std::string, int64_t, std::less<>> found;
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  ERA_TRY(txn->scan(Table::sys, kBucketPrefix, {}, [&](std::string_view k, std::string_view v) {
    json j = json::parse(v, nullptr, false);
    found[std::string(k.substr(kBucketPrefix.size()))] = j.is_object() ? j.value("created", int64_t(0)) : 0;
    return true;
  }));
  // Implicit buckets: one seek per bucket (the first record of each, then skip past its prefix).
  std::string after;
  for (;;) {
    std::string next_bucket;
    int64_t uploaded = 0;
    ERA_TRY(txn->scan(Table::r2, {}, after, [&](std::string_view k, std::string_view v) {
      next_bucket = std::string(k.substr(0, k.find('\0')));
      if (auto m = decode_object(v, false)) uploaded = m->created_ms;
      return false;
    }));
    if (next_bucket.empty()) break;
    found.emplace(next_bucket, uploaded);
    after = next_bucket;
    after.push_back('\x01');  // past every "<bucket>\0<key>"
  }
  ERA_TRY(txn->scan(Table::uploads, kUploadPrefix, {}, [&](std::string_view, std::string_view v) {
    json j = json::parse(v, nullptr, false);
    if (j.is_object()) found.emplace(j.value("bucket", ""), j.value("created", int64_t(0)));
    return true;
  }));
  std::vector<BucketInfo> out;
  for (auto& [name, created] : found)
    if (!name.empty()) out.push_back({name, created});
  return out;
}

Result<json> Engine::bucket_config(std::string_view bucket, std::string_view name) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  auto rec = read_record(*txn, bucket);
  if (!rec) return fail(rec.error());
  if (rec->is_null()) return json();
  auto it = rec->find(name);
  return it == rec->end() ? json() : *it;
}

Status Engine::set_bucket_config(const OpContext& ctx, std::string_view bucket, std::string_view name,
                                 const json& value) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto rec = read_record(*txn, bucket);
  if (!rec) return fail(rec.error());
  json j = rec->is_null() ? json{{"created", ctx.now_ms}} : std::move(*rec);
  if (value.is_null()) j.erase(std::string(name));
  else j[std::string(name)] = value;
  ERA_TRY(txn->put(Table::sys, bucket_record_key(bucket), j.dump(-1, ' ', false, json::error_handler_t::replace)));
  return txn->commit();
}

// ---------------------------------------------------------------- listings

Result<std::vector<UploadInfo>> Engine::list_uploads(const OpContext& ctx, std::string_view bucket,
                                                     std::string_view prefix) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  std::vector<UploadInfo> out;
  const int64_t ttl = upload_ttl_ms(bucket);
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  ERA_TRY(txn->scan(Table::uploads, kUploadPrefix, {}, [&](std::string_view k, std::string_view v) {
    json j = json::parse(v, nullptr, false);
    if (!j.is_object() || j.value("bucket", "") != bucket) return true;
    std::string key = j.value("key", "");
    int64_t created = j.value("created", int64_t(0));
    if (!key.starts_with(prefix) || created + ttl <= ctx.now_ms) return true;
    out.push_back({std::move(key), std::string(k.substr(kUploadPrefix.size())), created});
    return true;
  }));
  std::sort(out.begin(), out.end(), [](const UploadInfo& a, const UploadInfo& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.created_ms != b.created_ms) return a.created_ms < b.created_ms;
    return a.upload_id < b.upload_id;
  });
  return out;
}

Result<std::vector<UploadedPart>> Engine::list_parts(const OpContext& ctx, std::string_view bucket,
                                                     std::string_view key, std::string_view upload_id) {
  if (auto e = core::validate_namespace(bucket)) return fail(*e);
  if (auto e = validate_key(key)) return fail(*e);
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  auto v = txn->get(Table::uploads, upload_key(upload_id));
  if (!v) return fail(v.error());
  if (!*v) return fail(errors::no_such_upload());
  json j = json::parse(**v, nullptr, false);
  if (!j.is_object() || j.value("bucket", "") != bucket || j.value("key", "") != key ||
      j.value("created", int64_t(0)) + upload_ttl_ms(bucket) <= ctx.now_ms)
    return fail(errors::no_such_upload());
  std::vector<UploadedPart> out;
  if (auto it = j.find("parts"); it != j.end() && it->is_object())
    for (const auto& [n, p] : it->items())
      out.push_back({static_cast<uint32_t>(std::stoul(n)), p.value("etag", ""), p.value("size", uint64_t(0)),
                     p.value("at", int64_t(0))});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return out;
}

// ---------------------------------------------------------------- copies

Result<ObjectMeta> Engine::read_into(const OpContext& ctx, const CopySource& src, BodyWriter& w) {
  GetOptions opts;
  opts.only_if = src.only_if;
  opts.range = src.range;
  auto r = get(ctx, src.bucket, src.key, opts);
  if (!r) return fail(r.error());
  if (!*r) return fail(errors::not_found());
  GetResult& g = **r;
  if (g.cond != CondResult::pass) return fail(errors::precondition_failed());
  uint64_t off = g.range ? g.range->offset : 0;
  const uint64_t end = g.range ? off + g.range->length : g.meta.size;
  std::string buf(std::min<uint64_t>(kWriteBuffer, std::max<uint64_t>(end - off, 1)), '\0');
  while (off < end) {
    auto n = g.body->read_at(off, buf.data(), std::min<uint64_t>(buf.size(), end - off));
    if (!n) return fail(n.error());
    if (*n == 0) return fail(Code::STORE_CORRUPT, "object body shorter than recorded");
    ERA_TRY(w.write(buf.data(), *n));
    off += *n;
  }
  return std::move(g.meta);
}

}  // namespace era::r2
