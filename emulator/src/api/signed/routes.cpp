// Bucket access without the API token (issue 8): unsigned reads of public buckets at
// /public/{bucket}/{key+}, and signed / one-time URLs created with POST /api/signed-urls and used
// at /signed/{bucket}/{key+}?X-Era-…. Objects are read and written by the binary route's own code
// (api/r2raw/objects.h), so Range, If-*, metadata headers and streaming behave identically.
// Signing, verification and nonces live in products/signer.h. Reference: docs/products.md
// ("Access and signed URLs") and docs/http-api.md.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "api/json_io.h"
#include "api/r2raw/objects.h"
#include "core/clock.h"
#include "api/routes.h"
#include "core/names.h"
#include "core/time_util.h"
#include "core/url.h"
#include "products/access_errors.h"
#include "products/catalog.h"
#include "products/signer.h"
#include "r2/engine.h"
#include "r2/validate.h"

namespace era::api {
namespace {

namespace ae = products::access_errors;
using products::Grant;

constexpr int64_t kDefaultExpiresIn = 3600;

std::string pct(std::string_view s, bool keep_slash = false) { return core::percent_encode(s, keep_slash); }

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto low = [](char ch) { return ch >= 'A' && ch <= 'Z' ? char(ch - 'A' + 'a') : ch; };
           return low(x) == low(y);
         });
}

Status target(Call& c) {
  c.ns = c.params.at(0);
  c.key = c.params.at(1);
  if (auto err = core::validate_namespace(c.ns)) return fail(*err);
  if (auto err = r2::validate_key(c.key)) return fail(*err);
  return {};
}

const products::BucketSpec* declared(const Services& s, std::string_view bucket) {
  return s.catalog ? s.catalog->get()->bucket(bucket) : nullptr;
}

// ---------------------------------------------------------------- POST /api/signed-urls

Result<int64_t> int_field(const json& body, const char* name, int64_t lo, int64_t hi, int64_t dflt) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return dflt;
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi)
    return fail(Code::INVALID_BODY, std::string("field \"") + name + "\" must be a whole number from " +
                                        std::to_string(lo) + " to " + std::to_string(hi));
  return it->get<int64_t>();
}

Result<Grant> grant_from_body(const Services& s, const Call& c, const json& body) {
  Grant g;
  auto bucket = require_string(body, "bucket");
  if (!bucket) return fail(bucket.error());
  auto key = require_string(body, "key");
  if (!key) return fail(key.error());
  g.bucket = std::move(*bucket);
  g.key = std::move(*key);
  if (auto err = core::validate_namespace(g.bucket)) return fail(*err);
  if (auto err = r2::validate_key(g.key)) return fail(*err);
  if (s.catalog && !s.catalog->get()->allows("r2", g.bucket))
    return fail(Code::NOT_DECLARED, "bucket \"" + g.bucket + "\" is not declared in " +
                                        s.catalog->get()->source + " (--strict)");

  g.method = "GET";
  if (auto it = body.find("method"); it != body.end() && !it->is_null()) {
    std::string m = it->is_string() ? it->get<std::string>() : std::string();
    std::transform(m.begin(), m.end(), m.begin(), [](char ch) { return char(std::toupper(ch)); });
    if (m != "GET" && m != "PUT")
      return fail(Code::INVALID_BODY, "field \"method\" must be \"GET\" or \"PUT\"");
    g.method = m;
  }
  auto expires_in = int_field(body, "expiresIn", 1, products::kMaxSignedUrlSeconds, kDefaultExpiresIn);
  if (!expires_in) return fail(expires_in.error());
  g.expires_ms = c.ctx.now_ms + *expires_in * 1000;

  bool one_time = false;
  if (auto it = body.find("oneTime"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail(Code::INVALID_BODY, "field \"oneTime\" must be true or false");
    one_time = it->get<bool>();
  }
  if (one_time) g.nonce = products::Signer::new_nonce();

  if (auto it = body.find("contentType"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || it->get<std::string>().empty())
      return fail(Code::INVALID_BODY, "field \"contentType\" must be a non-empty string");
    g.content_type = it->get<std::string>();
  }
  if (body.contains("maxBytes") && !body["maxBytes"].is_null()) {
    auto max = int_field(body, "maxBytes", 1, int64_t(s.r2->options().max_put_bytes), 0);
    if (!max) return fail(max.error());
    g.max_bytes = uint64_t(*max);
  }
  if (g.method == "GET" && (g.content_type || g.max_bytes))
    return fail(Code::INVALID_BODY, "\"contentType\" and \"maxBytes\" constrain uploads: only for method PUT");
  return g;
}

std::string url_for(const Services& s, const Grant& g, const std::string& signature) {
  std::string host;
  if (auto* spec = declared(s, g.bucket); spec && !spec->signed_url_host.empty()) host = spec->signed_url_host;
  else host = s.settings.public_url;
  while (!host.empty() && host.back() == '/') host.pop_back();
  std::string url = host + "/signed/" + pct(g.bucket) + "/" + pct(g.key, true) +
                    "?X-Era-Method=" + g.method + "&X-Era-Expires=" + std::to_string(g.expires_ms);
  if (g.max_bytes) url += "&X-Era-Max-Bytes=" + std::to_string(*g.max_bytes);
  if (g.content_type) url += "&X-Era-Content-Type=" + pct(*g.content_type);
  if (!g.nonce.empty()) url += "&X-Era-Once=" + g.nonce;
  return url + "&X-Era-Signature=" + signature;
}

Status create_signed_url(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto g = grant_from_body(s, c, *body);
  if (!g) return fail(g.error());
  c.ns = g->bucket;
  c.key = g->key;
  json out = {{"url", url_for(s, *g, s.signer->sign(*g))},
              {"method", g->method},
              {"bucket", g->bucket},
              {"key", g->key},
              {"expires_at", core::iso8601_ms(g->expires_ms)},
              {"expires_ms", g->expires_ms},
              {"one_time", !g->nonce.empty()}};
  if (g->max_bytes) out["max_bytes"] = *g->max_bytes;
  if (g->content_type) {
    out["content_type"] = *g->content_type;
    out["headers"] = {{"Content-Type", *g->content_type}};
  }
  send_json(c.res, 200, out);
  return {};
}

// ---------------------------------------------------------------- /signed/{bucket}/{key+}

Result<Grant> grant_from_url(const Call& c) {
  Grant g;
  g.bucket = c.ns;
  g.key = c.key;
  for (const char* p : {"X-Era-Method", "X-Era-Expires", "X-Era-Signature"})
    if (!c.has_query(p)) return fail(ae::malformed(std::string("missing ") + p));
  g.method = c.query("X-Era-Method");
  if (g.method != "GET" && g.method != "PUT") return fail(ae::malformed("X-Era-Method must be GET or PUT"));
  auto number = [](const std::string& raw, auto& out) {
    auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), out);
    return !raw.empty() && ec == std::errc() && p == raw.data() + raw.size();
  };
  if (!number(c.query("X-Era-Expires"), g.expires_ms))
    return fail(ae::malformed("X-Era-Expires must be epoch milliseconds"));
  if (c.has_query("X-Era-Max-Bytes")) {
    uint64_t n = 0;
    if (!number(c.query("X-Era-Max-Bytes"), n)) return fail(ae::malformed("X-Era-Max-Bytes must be a byte count"));
    g.max_bytes = n;
  }
  if (c.has_query("X-Era-Content-Type")) g.content_type = c.query("X-Era-Content-Type");
  g.nonce = c.query("X-Era-Once");
  return g;
}

// Everything a signed request must pass before it touches storage. PUT: the body is unread.
Status admit(Services& s, Call& c, const Grant& g, r2http::UploadCap& cap, bool& capped) {
  ERA_TRY(s.signer->verify(g, c.query("X-Era-Signature"), c.ctx.now_ms));
  std::string method = c.req.method == "HEAD" ? "GET" : c.req.method;
  if (method != g.method) return fail(ae::method_mismatch(g.method, c.req.method));
  if (g.method != "PUT") return {};
  if (g.content_type) {
    std::string got = c.req.get_header_value("Content-Type");
    if (!iequal(got, *g.content_type)) return fail(ae::content_type_mismatch(*g.content_type, got));
  }
  std::optional<uint64_t> limit = g.max_bytes;
  if (auto* spec = declared(s, g.bucket); spec && spec->max_object_size)
    limit = std::min(limit.value_or(*spec->max_object_size), *spec->max_object_size);
  if (limit) {
    cap = {*limit, ae::too_large(*limit)};
    capped = true;
  }
  return {};
}

Status use_signed_url(Services& s, Call& c) {
  bool put = c.req.method == "PUT";
  r2http::UploadCap cap;
  bool capped = false;
  Status pre = [&]() -> Status {
    ERA_TRY(target(c));
    auto g = grant_from_url(c);
    if (!g) return fail(g.error());
    ERA_TRY(admit(s, c, *g, cap, capped));
    if (!g->nonce.empty()) ERA_TRY(s.signer->claim(*g));
    Status st = put ? r2http::store_object(s, c, capped ? &cap : nullptr) : r2http::serve_object(s, c);
    if (!g->nonce.empty()) {
      // A failed use (404, 412, upload cut short or too large) gives the URL back; a storage
      // error while recording that leaves it used, which errs on the safe side.
      Status rec = st ? s.signer->confirm(*g) : s.signer->release(*g);
      if (st && !rec) return rec;
    }
    return st;
  }();
  if (!pre && put) r2http::close_connection(c);  // the body may be unread
  return pre;
}

// At admission, from the head alone: a signed upload that would be refused anyway (bad or
// expired signature, wrong method or type, a declared length over its cap) is answered before a
// byte of its body is read, and the connection closed. Nothing is claimed here.
Status signed_put_precheck(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto g = grant_from_url(c);
  if (!g) return fail(g.error());
  c.ctx.now_ms = s.clock->now_ms();  // the guard sets it again before the handler
  r2http::UploadCap cap;
  bool capped = false;
  ERA_TRY(admit(s, c, *g, cap, capped));
  const uint64_t engine = s.r2->options().max_put_bytes;
  if (capped && cap.max_bytes < engine) return r2http::check_declared_length(c, cap.max_bytes, &cap.error);
  return r2http::check_declared_length(c, engine);
}

// ---------------------------------------------------------------- /public/{bucket}/{key+}

Status public_get(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto* spec = declared(s, c.ns);
  if (!spec || !spec->is_public) return fail(ae::private_bucket(c.ns));
  return r2http::serve_object(s, c);
}

}  // namespace

void add_signed_routes(Router& r, Services& s) {
  r.add("POST", "/api/signed-urls", Service::r2, Op::sign, bind_services(s, create_signed_url),
        "Create a signed (optionally one-time) GET or PUT URL for one object: "
        "{bucket, key, method, expiresIn, oneTime, contentType, maxBytes}");
  r.add("GET", "/signed/{bucket}/{key+}", Service::r2, Op::get, bind_services(s, use_signed_url),
        "Read an object through a signed URL (no token; Range, If-*; HEAD too)");
  r.add("PUT", "/signed/{bucket}/{key+}", Service::r2, Op::put, bind_services(s, use_signed_url),
        "Upload an object through a signed URL (no token; streamed like PUT /api/r2)",
        /*stream_body=*/true, bind_services(s, signed_put_precheck));
  r.add("GET", "/public/{bucket}/{key+}", Service::r2, Op::get, bind_services(s, public_get),
        "Read an object of a bucket declared \"access\": \"public\" (no token; Range, If-*; HEAD too)");
}

}  // namespace era::api
