// Authoritative reads for /_emu/inspect: the engines' real state, read under the shared lock
// (so never half a reset), with no fault rules and no event records.
#include <filesystem>
#include <map>
#include <shared_mutex>

#include "admin/admin.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/names.h"
#include "core/time_util.h"
#include "d1/engine.h"
#include "kv/engine.h"
#include "r2/engine.h"
#include "store/paths.h"

namespace era::admin {
using json = nlohmann::json;
namespace {

json kv_json(const std::string& name, const kv::Entry& e) {
  return {{"name", name},
          {"value", e.value},
          {"metadata", e.metadata},
          {"expiration", e.expiration ? json(e.expiration) : json(nullptr)},
          {"size", e.value.size()},
          {"created", core::iso8601_ms(e.created_ms)},
          {"updated", core::iso8601_ms(e.updated_ms)}};
}

json r2_json(const r2::ObjectMeta& m) {
  json j = {{"key", m.key},
            {"size", m.size},
            {"etag", m.etag},
            {"httpEtag", m.http_etag()},
            {"version", m.version},
            {"uploaded", core::iso8601_ms(m.uploaded_ms)},
            {"httpMetadata", r2::http_metadata_json(m.http)},
            {"customMetadata", r2::custom_metadata_json(m.custom)},
            {"checksums", r2::checksums_json(m.checksums)}};
  if (m.http.content_type) j["contentType"] = *m.http.content_type;
  if (m.parts) j["parts"] = m.parts;
  return j;
}

OpContext read_ctx(core::Clock& clock) {
  OpContext ctx;
  ctx.now_ms = clock.now_ms();
  return ctx;
}

Status check_ns(std::string_view ns) {
  if (auto e = core::validate_namespace(ns)) return fail(*e);
  return {};
}

// One page of `ns` as ctx.location sees it, each live entry appended to `keys` (its value
// dropped unless `with_values`): the listing behind both inspect_kv and inspect_kv_page.
Result<kv::ListResult> kv_entries(kv::Engine& kv, const OpContext& ctx, std::string_view ns,
                                  const kv::ListOptions& opts, bool with_values, json& keys) {
  auto page = kv.list(ctx, ns, opts);
  if (!page) return fail(page.error());
  for (const auto& k : page->keys) {
    auto e = kv.get(ctx, ns, k.name);
    if (!e) return fail(e.error());
    if (!*e) continue;
    json j = kv_json(k.name, **e);
    if (!with_values) j.erase("value");  // a page lists keys; the value is one more request away
    keys.push_back(std::move(j));
  }
  return page;
}

}  // namespace

Result<json> Admin::inspect_summary() {
  std::shared_lock lock(lock_);
  OpContext ctx = read_ctx(d_.clock);
  struct Sum {
    uint64_t count = 0, bytes = 0;
  };
  std::map<std::string, Sum> kv, r2;
  ResourceFilter f;
  f.type = "kv";
  ERA_TRY(d_.kv.list_resources(ctx, f, [&](Resource&& r) {
    auto& e = kv[r.ns];
    ++e.count;
    e.bytes += r.size.value_or(0);
  }));
  f.type = "r2";
  ERA_TRY(d_.r2.list_resources(ctx, f, [&](Resource&& r) {
    auto& e = r2[r.ns];
    ++e.count;
    e.bytes += r.size.value_or(0);
  }));
  auto buckets = d_.r2.list_buckets();  // empty ones made through S3 too
  if (!buckets) return fail(buckets.error());
  for (const auto& b : *buckets) r2.try_emplace(b.name);
  json out = {{"kv", json::array()}, {"r2", json::array()}, {"d1", json::array()}};
  for (const auto& [name, s] : kv) out["kv"].push_back({{"name", name}, {"keys", s.count}, {"bytes", s.bytes}});
  for (const auto& [name, s] : r2) {
    auto uploads = d_.r2.list_uploads(ctx, name, "");
    out["r2"].push_back({{"name", name}, {"objects", s.count}, {"bytes", s.bytes},
                         {"uploads", uploads ? uploads->size() : 0}});
  }
  for (const auto& name : d_.d1.namespaces()) {
    auto tables = d_.d1.tables(name);
    std::error_code ec;
    auto bytes = std::filesystem::file_size(d_.paths.d1_db(name), ec);
    out["d1"].push_back({{"name", name}, {"tables", tables ? tables->size() : 0}, {"bytes", ec ? 0 : bytes}});
  }
  return out;
}

Result<json> Admin::inspect_kv_page(std::string_view ns, const std::string& prefix, const std::string& cursor,
                                    int limit, const std::string& location) {
  ERA_TRY(check_ns(ns));
  std::shared_lock lock(lock_);
  OpContext ctx = read_ctx(d_.clock);
  ctx.location = location;
  kv::ListOptions opts;
  opts.prefix = prefix;
  opts.cursor = cursor;
  opts.limit = limit;
  json keys = json::array();
  auto page = kv_entries(d_.kv, ctx, ns, opts, /*with_values=*/false, keys);
  if (!page) return fail(page.error());
  json out = {{"namespace", std::string(ns)}, {"location", location}, {"keys", std::move(keys)},
              {"list_complete", page->list_complete}};
  if (!page->list_complete) out["cursor"] = page->cursor;
  return out;
}

Status Admin::inspect_kv_put(std::string_view ns, std::string_view key, std::string_view value,
                             const std::optional<json>& metadata, int64_t expiration) {
  std::shared_lock lock(lock_);
  kv::PutOptions opts;
  opts.metadata = metadata;
  opts.expiration = expiration;
  opts.everywhere = true;
  return d_.kv.put(read_ctx(d_.clock), ns, key, value, opts);
}

Status Admin::inspect_kv_delete(std::string_view ns, std::string_view key) {
  std::shared_lock lock(lock_);
  return d_.kv.del(read_ctx(d_.clock), ns, key);
}

Status Admin::inspect_r2_delete(std::string_view bucket, std::string_view key) {
  std::shared_lock lock(lock_);
  return d_.r2.del(read_ctx(d_.clock), bucket, key);
}

Result<json> Admin::inspect_r2_page(std::string_view bucket, const std::string& prefix, const std::string& delimiter,
                                    const std::string& cursor, int limit) {
  ERA_TRY(check_ns(bucket));
  std::shared_lock lock(lock_);
  OpContext ctx = read_ctx(d_.clock);
  r2::ListOptions opts;
  opts.prefix = prefix;
  opts.delimiter = delimiter;
  opts.cursor = cursor;
  opts.limit = limit;
  auto page = d_.r2.list(ctx, bucket, opts);
  if (!page) return fail(page.error());
  json objects = json::array();
  for (const auto& m : page->objects) objects.push_back(r2_json(m));
  json uploads = json::array();
  auto ups = d_.r2.list_uploads(ctx, bucket, prefix);
  if (!ups) return fail(ups.error());
  for (const auto& u : *ups)
    uploads.push_back({{"key", u.key}, {"uploadId", u.upload_id}, {"initiated", core::iso8601_ms(u.created_ms)}});
  json out = {{"bucket", std::string(bucket)}, {"objects", std::move(objects)},
              {"delimitedPrefixes", page->delimited_prefixes}, {"truncated", page->truncated},
              {"uploads", std::move(uploads)}};
  if (page->truncated) out["cursor"] = page->cursor;
  return out;
}

Result<json> Admin::inspect_kv(std::string_view ns) {
  ERA_TRY(check_ns(ns));
  std::shared_lock lock(lock_);
  OpContext ctx = read_ctx(d_.clock);
  json keys = json::array();
  kv::ListOptions opts;
  opts.limit = 1000;
  for (;;) {
    auto page = kv_entries(d_.kv, ctx, ns, opts, /*with_values=*/true, keys);
    if (!page) return fail(page.error());
    if (page->list_complete) break;
    opts.cursor = page->cursor;
  }
  return json{{"namespace", std::string(ns)}, {"count", keys.size()}, {"keys", std::move(keys)}};
}

Result<std::optional<json>> Admin::inspect_kv_key(std::string_view ns, std::string_view key,
                                                  const std::string& location) {
  ERA_TRY(check_ns(ns));
  std::shared_lock lock(lock_);
  OpContext ctx = read_ctx(d_.clock);
  ctx.location = location;
  auto e = d_.kv.get(ctx, ns, key);
  if (!e) return fail(e.error());
  if (!*e) return std::optional<json>{};
  return std::optional<json>(kv_json(std::string(key), **e));
}

Result<json> Admin::inspect_r2(std::string_view bucket) {
  ERA_TRY(check_ns(bucket));
  std::shared_lock lock(lock_);
  OpContext ctx = read_ctx(d_.clock);
  json objects = json::array();
  r2::ListOptions opts;
  opts.limit = 1000;
  for (;;) {
    auto page = d_.r2.list(ctx, bucket, opts);
    if (!page) return fail(page.error());
    for (const auto& m : page->objects) objects.push_back(r2_json(m));
    if (!page->truncated) break;
    opts.cursor = page->cursor;
  }
  return json{{"bucket", std::string(bucket)}, {"count", objects.size()}, {"objects", std::move(objects)}};
}

Result<std::optional<json>> Admin::inspect_r2_key(std::string_view bucket, std::string_view key,
                                                  bool with_body) {
  ERA_TRY(check_ns(bucket));
  std::shared_lock lock(lock_);
  r2::GetOptions opts;
  opts.body = with_body;
  auto r = d_.r2.get(read_ctx(d_.clock), bucket, key, opts);
  if (!r) return fail(r.error());
  if (!*r) return std::optional<json>{};
  json j = r2_json((*r)->meta);
  if (with_body && (*r)->body) {
    const r2::Body& body = *(*r)->body;
    std::string bytes(body.size(), '\0');
    size_t got = 0;
    while (got < bytes.size()) {
      auto n = body.read_at(got, bytes.data() + got, bytes.size() - got);
      if (!n) return fail(n.error());
      if (*n == 0) break;
      got += *n;
    }
    bytes.resize(got);
    j["base64"] = core::base64_encode(bytes);
  }
  return std::optional<json>(std::move(j));
}

Result<json> Admin::inspect_d1(std::string_view ns) {
  ERA_TRY(check_ns(ns));
  std::shared_lock lock(lock_);
  auto tables = d_.d1.tables(ns);
  if (!tables) return fail(tables.error());
  for (auto& t : *tables) {
    auto rows = d_.d1.rows(ns, t["name"].get<std::string>(), 0, 0);
    if (rows && rows->contains("total")) t["rows"] = (*rows)["total"];
  }
  return json{{"namespace", std::string(ns)}, {"tables", std::move(*tables)}};
}

Result<json> Admin::inspect_d1_table(std::string_view ns, std::string_view table, int64_t limit,
                                     int64_t offset) {
  ERA_TRY(check_ns(ns));
  std::shared_lock lock(lock_);
  auto rows = d_.d1.rows(ns, table, limit, offset);
  if (!rows) {
    const Error& e = rows.error();
    if (e.message.find("no such table") != std::string::npos ||
        e.details.dump().find("no such table") != std::string::npos)
      return fail(Error(Code::NOT_FOUND, "no table \"" + std::string(table) + "\" in D1 namespace \"" +
                                             std::string(ns) + "\""));
    return fail(e);
  }
  return std::move(*rows);
}

Result<d1::QueryResult> Admin::inspect_d1_query(std::string_view ns, d1::StatementInput input) {
  ERA_TRY(check_ns(ns));
  std::shared_lock lock(lock_);
  return d_.d1.read(ns, std::move(input));
}

}  // namespace era::admin
