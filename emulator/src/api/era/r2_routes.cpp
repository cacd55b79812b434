// ERA R2 routes, wire-compatible with the original proxy (shared/spec/era-wire-protocol.md §4)
// plus additive extensions: etag/version/uploaded in replies, httpMetadata and onlyIf on put,
// cursor/delimiter/startAfter/include on list. GET streams its JSON (base64 produced chunk by
// chunk), so big objects never 500 and never sit in memory.
#include "api/json_io.h"
#include "api/r2raw/common.h"
#include "api/routes.h"
#include "core/crypto.h"
#include "core/names.h"
#include "core/time_util.h"
#include "r2/engine.h"
#include "r2/errors.h"
#include "r2/validate.h"

namespace era::api {
namespace {

Status check_ns(Call& c) {
  c.ns = c.params.at(0);
  if (auto err = core::validate_namespace(c.ns)) return fail(*err);
  if (c.params.size() > 1) c.key = c.params[1];
  return {};
}

Result<int64_t> date_field(const json& j, const char* name) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_string()) {
    if (auto ms = core::parse_iso8601(j.get<std::string>())) return *ms;
    if (auto ms = core::parse_http_date(j.get<std::string>())) return *ms;
  }
  return fail(r2::errors::invalid_argument(std::string("onlyIf.") + name +
                                           " must be an ISO-8601 date or epoch milliseconds"));
}

Result<std::vector<r2::ETagItem>> etag_field(const json& j, const char* name) {
  std::vector<r2::ETagItem> out;
  auto one = [&](const json& v) -> Status {
    if (!v.is_string())
      return fail(r2::errors::invalid_argument(std::string("onlyIf.") + name +
                                               " must be a string or an array of strings"));
    auto items = r2::parse_etag_list(v.get<std::string>());
    out.insert(out.end(), items.begin(), items.end());
    return {};
  };
  if (j.is_array()) {
    for (const auto& v : j) ERA_TRY(one(v));
  } else {
    ERA_TRY(one(j));
  }
  return out;
}

Result<r2::Conditional> only_if(const json& body) {
  r2::Conditional c;
  auto it = body.find("onlyIf");
  if (it == body.end() || it->is_null()) return c;
  if (!it->is_object()) return fail(r2::errors::invalid_argument("onlyIf must be an object"));
  const json& o = *it;
  if (auto f = o.find("etagMatches"); f != o.end() && !f->is_null()) {
    auto v = etag_field(*f, "etagMatches");
    if (!v) return fail(v.error());
    c.etag_matches = std::move(*v);
  }
  if (auto f = o.find("etagDoesNotMatch"); f != o.end() && !f->is_null()) {
    auto v = etag_field(*f, "etagDoesNotMatch");
    if (!v) return fail(v.error());
    c.etag_does_not_match = std::move(*v);
  }
  if (auto f = o.find("uploadedBefore"); f != o.end() && !f->is_null()) {
    auto v = date_field(*f, "uploadedBefore");
    if (!v) return fail(v.error());
    c.uploaded_before = *v;
  }
  if (auto f = o.find("uploadedAfter"); f != o.end() && !f->is_null()) {
    auto v = date_field(*f, "uploadedAfter");
    if (!v) return fail(v.error());
    c.uploaded_after = *v;
  }
  return c;
}

// md5/sha1/sha256/sha384/sha512 hex, top level or inside "checksums".
Status checksums(const json& body, r2::Checksums& out) {
  const json* src[2] = {&body, nullptr};
  if (auto it = body.find("checksums"); it != body.end() && it->is_object()) src[1] = &*it;
  for (const json* s : src) {
    if (!s) continue;
    struct F { const char* name; const char* alg; size_t len; std::string* dst; };
    for (F f : {F{"md5", "MD5", 16, &out.md5}, F{"sha1", "SHA-1", 20, &out.sha1},
                F{"sha256", "SHA-256", 32, &out.sha256}, F{"sha384", "SHA-384", 48, &out.sha384},
                F{"sha512", "SHA-512", 64, &out.sha512}}) {
      auto it = s->find(f.name);
      if (it == s->end() || it->is_null()) continue;
      if (!it->is_string()) return fail(r2::errors::invalid_digest(std::string(f.alg) + " checksum"));
      if (auto e = r2::parse_hex_digest(f.alg, it->get<std::string>(), f.len, *f.dst)) return fail(*e);
    }
  }
  return {};
}

Status r2_put(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  // The base64 "content" is decoded straight from the request body; the JSON parser sees the
  // rest (most of a PUT's time went into lexing the content string).
  auto parsed = parse_object_taking(c.body, "content");
  if (!parsed) return fail(parsed.error());
  auto body = &parsed->object;
  auto content = body->find("content");
  if (content == body->end() || content->is_null())
    return fail(Code::INVALID_BODY, "missing required field \"content\" (base64 string)");
  if (!content->is_string()) return fail(Code::INVALID_BODY, "field \"content\" must be a base64 string");
  // One decode buffer per handler thread: a fresh multi-megabyte allocation per request cost
  // more in page faults than the decoding. Buffers past 8 MiB are given back after the request.
  thread_local std::string decoded;
  struct Trim {
    ~Trim() {
      if (decoded.capacity() > (size_t(8) << 20)) std::string().swap(decoded);
    }
  } trim;
  if (!core::base64_decode_into(parsed->taken ? parsed->field : std::string_view(content->get_ref<const std::string&>()), decoded))
    return fail(Code::R2_INVALID_BASE64, "content is not valid base64");
  const std::string* bytes = &decoded;

  r2::PutOptions opts;
  auto custom = r2http::custom_from_json(body->value("metadata", json()));
  if (!custom) return fail(custom.error());
  opts.custom = std::move(*custom);
  auto http = r2http::http_from_json(body->value("httpMetadata", json()));
  if (!http) return fail(http.error());
  opts.http = std::move(*http);
  auto cond = only_if(*body);
  if (!cond) return fail(cond.error());
  opts.only_if = std::move(*cond);
  ERA_TRY(checksums(*body, opts.expected));

  auto m = s.r2->put_bytes(c.ctx, c.ns, c.key, *bytes, opts);
  if (!m) return fail(m.error());
  send_json(c.res, 200,
            {{"success", true},
             {"size", m->size},
             {"etag", m->etag},
             {"httpEtag", m->http_etag()},
             {"version", m->version},
             {"uploaded", core::iso8601_ms(m->uploaded_ms)}});
  return {};
}

// {"content":"<base64>","size":n,"httpMetadata":{…},"customMetadata":{…},"etag":…,"uploaded":…}
// with the base64 produced from the blob 192 KiB at a time.
Status r2_get(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto r = s.r2->get(c.ctx, c.ns, c.key, {});
  if (!r) return fail(r.error());
  if (!*r) return fail(r2::errors::not_found());
  const r2::ObjectMeta& m = (*r)->meta;
  json tail = {{"size", m.size},
               {"httpMetadata", r2::http_metadata_json(m.http)},
               {"customMetadata", r2::custom_metadata_json(m.custom)},
               {"etag", m.etag},
               {"httpEtag", m.http_etag()},
               {"version", m.version},
               {"uploaded", core::iso8601_ms(m.uploaded_ms)}};
  std::string head = "{\"content\":\"";
  std::string rest = "\"," + dump(tail).substr(1);  // drop the tail's own '{'
  const uint64_t b64_len = (m.size + 2) / 3 * 4;
  const uint64_t total = head.size() + b64_len + rest.size();
  static constexpr size_t kRaw = 3 * 65536;  // a multiple of 3, so chunks encode without padding
  auto body = (*r)->body;
  const uint64_t size = m.size;
  c.res.status = 200;
  c.res.set_content_provider(
      total, "application/json",
      [head, rest, body, size, b64_len](size_t off, size_t, DataSink& sink) {
        if (off < head.size()) return sink.write(head.data() + off, head.size() - off);
        uint64_t p = off - head.size();
        if (p < b64_len) {  // p is always a multiple of 4: every write below is whole groups
          uint64_t raw_off = p / 4 * 3;
          size_t want = static_cast<size_t>(std::min<uint64_t>(kRaw, size - raw_off));
          thread_local std::string buf;
          buf.resize(kRaw);
          size_t got = 0;
          while (got < want) {
            auto n = body->read_at(raw_off + got, buf.data() + got, want - got);
            if (!n || *n == 0) return false;
            got += *n;
          }
          std::string enc = core::base64_encode(std::string_view(buf.data(), want));
          return sink.write(enc.data(), enc.size());
        }
        uint64_t q = p - b64_len;
        return sink.write(rest.data() + q, rest.size() - q);
      });
  return {};
}

Status r2_delete(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  ERA_TRY(s.r2->del(c.ctx, c.ns, c.key));
  send_json(c.res, 200, {{"success", true}});
  return {};
}

Status r2_list(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto q = r2http::list_query(c, 100);  // the ERA proxy's default (R2's is 1000)
  if (!q) return fail(q.error());
  auto r = s.r2->list(c.ctx, c.ns, q->opts);
  if (!r) return fail(r.error());
  send_json(c.res, 200, r2http::list_json(*r, *q, /*era_shape=*/true));
  return {};
}

}  // namespace

void add_era_r2_routes(Router& r, Services& s) {
  r.add("GET", "/api/storage/r2/{ns}", Service::r2, Op::list, bind_services(s, r2_list),
        "List objects: ?prefix=&limit=(1-1000, default 100)&cursor=&delimiter=&startAfter=&include=");
  r.add("GET", "/api/storage/r2/{ns}/{key+}", Service::r2, Op::get, bind_services(s, r2_get),
        "Get an object: {content (base64), size, httpMetadata, customMetadata, etag, uploaded}");
  r.add("PUT", "/api/storage/r2/{ns}/{key+}", Service::r2, Op::put, bind_services(s, r2_put),
        "Put {content (base64), metadata?, httpMetadata?, onlyIf?, md5?/sha1?/sha256?/sha384?/sha512?}")
      .body_limit = uint64_t(128) << 20;  // ≈ 96 MiB of object as base64 (bigger: PUT /api/r2, streamed)
  r.add("DELETE", "/api/storage/r2/{ns}/{key+}", Service::r2, Op::del, bind_services(s, r2_delete),
        "Delete an object (succeeds when missing)");
}

}  // namespace era::api
