// The binary R2 protocol: /api/r2/{bucket}/{key+} with raw, streamed bodies, HTTP metadata
// headers, X-Era-Meta-* custom metadata, checksums, If-* conditionals, Range, and S3-style
// multipart (?uploads, ?uploadId=&partNumber=). Buckets are the ERA R2 namespaces.
// Reference: docs/api-r2.md.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "api/json_io.h"

#include "api/r2raw/common.h"
#include "api/r2raw/objects.h"
#include "api/routes.h"
#include "core/crypto.h"
#include "core/names.h"
#include "core/time_util.h"
#include "r2/engine.h"
#include "r2/errors.h"
#include "r2/validate.h"

namespace era::api {
namespace {

constexpr std::string_view kMetaPrefix = "x-era-meta-";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

Status target(Call& c) {
  c.ns = c.params.at(0);
  if (auto err = core::validate_namespace(c.ns)) return fail(*err);
  if (c.params.size() > 1) {
    c.key = c.params[1];
    if (auto err = r2::validate_key(c.key)) return fail(*err);
  }
  return {};
}

std::optional<std::string> header(const Call& c, const char* name) {
  if (!c.req.has_header(name)) return std::nullopt;
  return c.req.get_header_value(name);
}

// Custom metadata as one JSON object of strings, names kept as sent (X-Era-Meta-* header names
// arrive in any case and are stored lower-cased); non-ASCII characters \u-escaped.
constexpr const char* kCustomJsonHeader = "X-Era-Custom-Metadata";

Result<r2::CustomMetadata> custom_from_headers(const Call& c) {
  r2::CustomMetadata m;
  if (auto text = header(c, kCustomJsonHeader)) {
    ERA_TRY(check_json_depth(*text, kCustomJsonHeader));
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return fail(r2::errors::invalid_metadata(std::string(kCustomJsonHeader) + " is not a JSON object"));
    for (auto& [k, v] : j.items()) {
      if (!v.is_string())
        return fail(r2::errors::invalid_metadata(std::string(kCustomJsonHeader) + " value of \"" + k +
                                                 "\" is not a string"));
      m[k] = v.get<std::string>();
    }
  }
  for (const auto& [name, value] : c.req.headers) {
    std::string l = lower(name);
    if (l.size() > kMetaPrefix.size() && l.starts_with(kMetaPrefix))
      m[l.substr(kMetaPrefix.size())] = value;
  }
  return m;
}

Status checksums_from_headers(const Call& c, r2::Checksums& out) {
  if (auto v = header(c, "Content-MD5")) {
    auto raw = core::base64_decode(*v);
    if (!raw || raw->size() != 16) return fail(r2::errors::invalid_digest("Content-MD5"));
    out.md5 = std::move(*raw);
  }
  struct H { const char* name; const char* alg; size_t len; std::string* dst; };
  for (H h : {H{"X-Era-Checksum-Md5", "MD5", 16, &out.md5},
              H{"X-Era-Checksum-Sha1", "SHA-1", 20, &out.sha1},
              H{"X-Era-Checksum-Sha256", "SHA-256", 32, &out.sha256},
              H{"X-Era-Checksum-Sha384", "SHA-384", 48, &out.sha384},
              H{"X-Era-Checksum-Sha512", "SHA-512", 64, &out.sha512}}) {
    if (auto v = header(c, h.name))
      if (auto e = r2::parse_hex_digest(h.alg, *v, h.len, *h.dst)) return fail(*e);
  }
  return {};
}

// json_custom (request header X-Era-Metadata-Form: json): custom metadata as one
// X-Era-Custom-Metadata JSON header with its names' case, instead of X-Era-Meta-* headers.
void object_headers(Response& res, const r2::ObjectMeta& m, bool json_custom = false) {
  res.set_header("ETag", m.http_etag());
  res.set_header("Last-Modified", core::http_date(m.uploaded_ms));
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("X-Era-Version", m.version);
  res.set_header("X-Era-Uploaded", core::iso8601_ms(m.uploaded_ms));
  if (m.http.content_language) res.set_header("Content-Language", *m.http.content_language);
  if (m.http.content_disposition) res.set_header("Content-Disposition", *m.http.content_disposition);
  if (m.http.content_encoding) res.set_header("Content-Encoding", *m.http.content_encoding);
  if (m.http.cache_control) res.set_header("Cache-Control", *m.http.cache_control);
  if (m.http.cache_expiry_ms) res.set_header("Expires", core::http_date(*m.http.cache_expiry_ms));
  if (!m.checksums.md5.empty()) res.set_header("X-Era-Checksum-Md5", core::to_hex(m.checksums.md5));
  if (!m.checksums.sha1.empty()) res.set_header("X-Era-Checksum-Sha1", core::to_hex(m.checksums.sha1));
  if (!m.checksums.sha256.empty())
    res.set_header("X-Era-Checksum-Sha256", core::to_hex(m.checksums.sha256));
  if (!m.checksums.sha384.empty())
    res.set_header("X-Era-Checksum-Sha384", core::to_hex(m.checksums.sha384));
  if (!m.checksums.sha512.empty())
    res.set_header("X-Era-Checksum-Sha512", core::to_hex(m.checksums.sha512));
  if (json_custom) {
    // The stored HTTP metadata as set (Content-Type above falls back to octet-stream).
    res.set_header("X-Era-Http-Metadata", r2::http_metadata_json(m.http).dump(-1, ' ', true, json::error_handler_t::replace));
    if (!m.custom.empty())
      res.set_header(kCustomJsonHeader, r2::custom_metadata_json(m.custom).dump(-1, ' ', true, json::error_handler_t::replace));
    return;
  }
  for (const auto& [k, v] : m.custom) res.set_header("X-Era-Meta-" + r2http::header_name_safe(k), r2http::header_value_safe(v));
}

Result<uint32_t> part_number(const Call& c) {
  std::string raw = c.query("partNumber");
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
  if (raw.empty() || ec != std::errc() || p != raw.data() + raw.size())
    return fail(r2::errors::invalid_argument("partNumber must be an integer between 1 and 10000, not \"" +
                                             raw.substr(0, 40) + "\""));
  return n;
}

// ---------------------------------------------------------------- handlers

Status raw_list(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto q = r2http::list_query(c, r2::kMaxListLimit);
  if (!q) return fail(q.error());
  auto r = s.r2->list(c.ctx, c.ns, q->opts);
  if (!r) return fail(r.error());
  send_json(c.res, 200, r2http::list_json(*r, *q));
  return {};
}

// POST /api/r2/{bucket}?delete {"keys": [...]}: up to 1000 keys, each deleted like DELETE
// (a missing key is no error); the first invalid key refuses the whole batch before any delete.
Status raw_delete_many(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto keys = body->find("keys");
  if (keys == body->end() || !keys->is_array())
    return fail(Code::INVALID_BODY, "field \"keys\" must be an array of object keys");
  if (keys->size() > r2::kMaxListLimit)
    return fail(Error(Code::INVALID_BODY, "at most " + std::to_string(r2::kMaxListLimit) +
                                              " keys can be deleted at once, not " + std::to_string(keys->size()))
                    .with_details({{"max_keys", r2::kMaxListLimit}}));
  for (const json& k : *keys) {
    if (!k.is_string()) return fail(Code::INVALID_BODY, "field \"keys\" must hold strings only");
    if (auto err = r2::validate_key(k.get_ref<const std::string&>())) return fail(*err);
  }
  json deleted = json::array();
  for (const json& k : *keys) {
    c.key = k.get<std::string>();
    ERA_TRY(s.r2->del(c.ctx, c.ns, c.key));
    deleted.push_back(k);
  }
  c.key.clear();
  send_json(c.res, 200, {{"deleted", std::move(deleted)}});
  return {};
}

}  // namespace

Status r2http::serve_object(Services& s, Call& c) {
  r2::GetOptions opts;
  opts.only_if = r2http::conditional_from_headers(c);
  opts.body = c.req.method != "HEAD";
  if (auto range = header(c, "Range")) opts.range = r2::parse_range_header(*range);
  auto r = s.r2->get(c.ctx, c.ns, c.key, opts);
  if (!r) {
    const Error& e = r.error();
    if (e.code == Code::R2_INVALID_RANGE && e.details.contains("size"))
      c.res.set_header("Content-Range", "bytes */" + e.details["size"].dump());
    return fail(e);
  }
  if (!*r) return fail(r2::errors::not_found());
  const r2::GetResult& g = **r;
  object_headers(c.res, g.meta, c.req.get_header_value("X-Era-Metadata-Form") == "json");
  if (g.cond == r2::CondResult::not_modified) {
    c.res.status = 304;
    return {};
  }
  if (g.cond == r2::CondResult::failed) return fail(r2::errors::precondition_failed());
  std::string type = g.meta.http.content_type.value_or("application/octet-stream");
  uint64_t off = 0, len = g.meta.size;
  c.res.status = 200;
  if (g.range) {
    off = g.range->offset;
    len = g.range->length;
    c.res.status = 206;
    c.res.set_header("Content-Range", "bytes " + std::to_string(off) + "-" +
                                          std::to_string(off + len - 1) + "/" +
                                          std::to_string(g.meta.size));
  }
  if (!g.body) {  // HEAD: headers only, with the length a GET would send
    c.res.set_content_provider(len, type, [](size_t, size_t, DataSink&) { return false; });
    if (len == 0) c.res.set_content(std::string(), type);
    return {};
  }
  r2http::send_body(c.res, g.body, off, len, type);
  return {};
}

Status r2http::store_object(Services& s, Call& c, const UploadCap* cap) {
  r2::PutOptions opts;
  uint64_t limit = s.r2->options().max_put_bytes;
  const Error* over = nullptr;
  Error bucket_over;
  if (cap && cap->max_bytes < limit) {
    limit = cap->max_bytes;
    over = &cap->error;
  } else if (uint64_t b = s.r2->max_object_bytes(c.ns); !cap && b < limit) {
    // A declared maxObjectSize is refused from Content-Length, before any byte is streamed.
    limit = b;
    std::string cl = c.req.get_header_value("Content-Length");
    bucket_over = r2::errors::bucket_object_too_large(c.ns, cl.empty() ? 0 : std::strtoull(cl.c_str(), nullptr, 10), b);
    over = &bucket_over;
  }
  Status pre = [&]() -> Status {
    auto http = r2http::http_from_headers(c);
    if (!http) return fail(http.error());
    opts.http = std::move(*http);
    auto custom = custom_from_headers(c);
    if (!custom) return fail(custom.error());
    opts.custom = std::move(*custom);
    ERA_TRY(checksums_from_headers(c, opts.expected));
    opts.only_if = r2http::conditional_from_headers(c);
    ERA_TRY(s.r2->check_put(c.ns, c.key, opts));
    return r2http::check_declared_length(c, limit, over);
  }();
  if (!pre) {
    r2http::close_connection(c);
    return pre;
  }
  auto w = s.r2->begin_body(c.ns, opts.expected);
  if (!w) return fail(w.error());
  ERA_TRY(r2http::stream_body(c, *w, over ? cap : nullptr));
  auto m = s.r2->put(c.ctx, c.ns, c.key, std::move(*w), opts);
  if (!m) return fail(m.error());
  c.res.set_header("ETag", m->http_etag());
  const bool full = c.req.get_header_value("X-Era-Metadata-Form") == "json";  // the Workers shim
  send_json(c.res, 200, r2http::object_json(*m, full, full, true));
  return {};
}

namespace {

Status raw_get(Services& s, Call& c) {
  ERA_TRY(target(c));
  return r2http::serve_object(s, c);
}

Status raw_put_part(Services& s, Call& c) {
  ERA_TRY(target(c));
  std::string upload_id = c.query("uploadId");
  auto n = part_number(c);
  if (!n) return fail(n.error());
  if (auto st = s.r2->check_upload(c.ctx, c.ns, c.key, upload_id, *n); !st) {
    r2http::close_connection(c);
    return st;
  }
  r2::Checksums expected;  // Content-MD5 / X-Era-Checksum-* are verified per part, as S3 does
  if (auto st = checksums_from_headers(c, expected); !st) {
    r2http::close_connection(c);
    return st;
  }
  ERA_TRY(r2http::check_declared_length(c, s.r2->options().max_put_bytes));
  auto w = s.r2->begin_body(c.ns, expected);
  if (!w) return fail(w.error());
  ERA_TRY(r2http::stream_body(c, *w));
  auto part = s.r2->upload_part(c.ctx, c.ns, c.key, upload_id, *n, std::move(*w), expected);
  if (!part) return fail(part.error());
  c.res.set_header("ETag", "\"" + part->etag + "\"");
  send_json(c.res, 200, {{"partNumber", part->number}, {"etag", part->etag}, {"size", part->size}});
  return {};
}

// A declared Content-Length over the single-PUT limit or the bucket's maxObjectSize is refused
// at admission, before a byte of the body is read.
Status raw_put_precheck(Services& s, Call& c) {
  uint64_t limit = s.r2->options().max_put_bytes;
  const uint64_t declared = s.r2->max_object_bytes(c.ns);
  if (declared >= limit) return r2http::check_declared_length(c, limit, nullptr);
  std::string cl = c.req.get_header_value("Content-Length");
  Error over = r2::errors::bucket_object_too_large(c.ns, cl.empty() ? 0 : std::strtoull(cl.c_str(), nullptr, 10),
                                                   declared);
  return r2http::check_declared_length(c, declared, &over);
}

Status raw_put(Services& s, Call& c) {
  ERA_TRY(target(c));
  return r2http::store_object(s, c);
}

// As workerd's R2MultipartUpload.abort(): aborting an upload that is already gone succeeds.
Status raw_abort(Services& s, Call& c) {
  ERA_TRY(target(c));
  Status st = s.r2->abort_multipart(c.ctx, c.ns, c.key, c.query("uploadId"));
  if (!st && st.error().code != Code::R2_NO_SUCH_UPLOAD) return st;
  c.res.status = 204;
  return {};
}

Status raw_delete(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(s.r2->del(c.ctx, c.ns, c.key));
  c.res.status = 204;
  return {};
}

Status raw_create(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto http = r2http::http_from_headers(c);
  if (!http) return fail(http.error());
  auto custom = custom_from_headers(c);
  if (!custom) return fail(custom.error());
  auto id = s.r2->create_multipart(c.ctx, c.ns, c.key, *http, *custom);
  if (!id) return fail(id.error());
  send_json(c.res, 200, {{"key", c.key}, {"uploadId", *id}});
  return {};
}

Status raw_post(Services&, Call& c) {
  ERA_TRY(target(c));
  return fail(r2::errors::invalid_argument(
      "POST on an object needs ?uploads (create a multipart upload) or ?uploadId=U (complete it)"));
}

Status raw_complete(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto parts = body->find("parts");
  if (parts == body->end() || !parts->is_array())
    return fail(Code::INVALID_BODY, "field \"parts\" must be an array of {partNumber, etag}");
  std::vector<r2::PartRef> refs;
  for (const auto& p : *parts) {
    if (!p.is_object() || !p.contains("partNumber") || !p["partNumber"].is_number_integer() ||
        !p.contains("etag") || !p["etag"].is_string())
      return fail(Code::INVALID_BODY, "each part must be {\"partNumber\": integer, \"etag\": string}");
    int64_t n = p["partNumber"].get<int64_t>();
    if (n < 1 || n > r2::kMaxParts)
      return fail(r2::errors::invalid_argument("partNumber must be an integer between 1 and 10000"));
    refs.push_back({static_cast<uint32_t>(n), p["etag"].get<std::string>()});
  }
  // As workerd's R2MultipartUpload.complete(): parts may come in any order (they are joined by
  // number), and none at all makes an empty object. The S3 endpoint keeps S3's InvalidPartOrder.
  std::stable_sort(refs.begin(), refs.end(), [](const r2::PartRef& a, const r2::PartRef& b) { return a.number < b.number; });
  auto m = s.r2->complete_multipart(c.ctx, c.ns, c.key, c.query("uploadId"), refs, /*allow_empty=*/true);
  if (!m) return fail(m.error());
  c.res.set_header("ETag", m->http_etag());
  send_json(c.res, 200, r2http::object_json(*m, true, true));
  return {};
}

}  // namespace

void add_r2raw_routes(Router& r, Services& s) {
  r.add("GET", "/api/r2/{bucket}", Service::r2, Op::list, bind_services(s, raw_list),
        "List objects as JSON: ?prefix=&delimiter=&cursor=&startAfter=&limit=(1-1000)&include=");
  r.add("POST", "/api/r2/{bucket}?delete", Service::r2, Op::del, bind_services(s, raw_delete_many),
        "Delete up to 1000 objects: {keys: [...]} → {deleted: [...]}");
  r.add("GET", "/api/r2/{bucket}/{key+}", Service::r2, Op::get, bind_services(s, raw_get),
        "Stream an object (Range, If-*); HEAD: headers only (op head)");
  r.add("PUT", "/api/r2/{bucket}/{key+}?uploadId", Service::r2, Op::multipart_upload,
        bind_services(s, raw_put_part), "Upload one part of a multipart upload (streamed)", /*stream_body=*/true);
  r.add("PUT", "/api/r2/{bucket}/{key+}", Service::r2, Op::put, bind_services(s, raw_put),
        "Stream a raw body in (headers: Content-*, X-Era-Meta-*, checksums, If-*)", /*stream_body=*/true,
        bind_services(s, raw_put_precheck));
  r.add("DELETE", "/api/r2/{bucket}/{key+}?uploadId", Service::r2, Op::multipart_abort, bind_services(s, raw_abort),
        "Abort a multipart upload");
  r.add("DELETE", "/api/r2/{bucket}/{key+}", Service::r2, Op::del, bind_services(s, raw_delete),
        "Delete an object (204 also when missing)");
  r.add("POST", "/api/r2/{bucket}/{key+}?uploads", Service::r2, Op::multipart_create, bind_services(s, raw_create),
        "Create a multipart upload: {key, uploadId}");
  r.add("POST", "/api/r2/{bucket}/{key+}?uploadId", Service::r2, Op::multipart_complete,
        bind_services(s, raw_complete), "Complete a multipart upload with {parts:[{partNumber, etag}]}");
  r.add("POST", "/api/r2/{bucket}/{key+}", Service::r2, Op::multipart_create, bind_services(s, raw_post),
        "Without ?uploads or ?uploadId: 400 naming both");
}

}  // namespace era::api
