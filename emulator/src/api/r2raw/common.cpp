#include "api/r2raw/common.h"

#include <cctype>
#include <charconv>

#include "core/time_util.h"
#include "r2/errors.h"
#include "r2/validate.h"

namespace era::api::r2http {

json object_json(const r2::ObjectMeta& m, bool http, bool custom, bool checksums) {
  json j = {{"key", m.key},
            {"size", m.size},
            {"etag", m.etag},
            {"httpEtag", m.http_etag()},
            {"uploaded", core::iso8601_ms(m.uploaded_ms)},
            {"version", m.version}};
  if (http) j["httpMetadata"] = r2::http_metadata_json(m.http);
  if (custom) j["customMetadata"] = r2::custom_metadata_json(m.custom);
  if (checksums) j["checksums"] = r2::checksums_json(m.checksums);
  return j;
}

Result<ListQuery> list_query(const Call& c, int default_limit) {
  ListQuery q;
  q.opts.prefix = c.query("prefix");
  q.opts.delimiter = c.query("delimiter");
  q.opts.cursor = c.query("cursor");
  q.opts.start_after = c.has_query("startAfter") ? c.query("startAfter") : c.query("start_after");
  q.opts.limit = default_limit;
  if (c.has_query("limit")) {
    std::string raw = c.query("limit");
    int64_t v = 0;
    auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (ec != std::errc() || p != raw.data() + raw.size() || raw.empty())
      return fail(r2::errors::invalid_limit().with_details({{"limit", raw.substr(0, 40)}}));
    if (auto e = r2::validate_limit(v)) return fail(*e);
    q.opts.limit = static_cast<int>(v);
  }
  size_t n = c.req.get_param_value_count("include");
  for (size_t i = 0; i < n; ++i) {
    std::string v = c.req.get_param_value("include", i);
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (item == "httpMetadata") q.include_http = true;
      else if (item == "customMetadata") q.include_custom = true;
      else if (!item.empty())
        return fail(r2::errors::invalid_argument(
            "include must list httpMetadata and/or customMetadata, not \"" + item.substr(0, 40) + "\""));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return q;
}

json list_json(const r2::ListResult& r, const ListQuery& q, bool era_shape) {
  json objects = json::array();
  for (const auto& m : r.objects) objects.push_back(object_json(m, q.include_http, q.include_custom));
  json out = {{"objects", std::move(objects)}, {"truncated", r.truncated}};
  if (r.truncated) out["cursor"] = r.cursor;
  // Always present, as the binding's R2Objects (issue 18, item 13): [] without a delimiter. The
  // ERA route keeps the original proxy's {objects, truncated, cursor?} shape.
  if (!era_shape || !q.opts.delimiter.empty()) out["delimitedPrefixes"] = r.delimited_prefixes;
  return out;
}

Status check_declared_length(Call& c, uint64_t limit, const Error* over) {
  std::string cl = c.req.get_header_value("Content-Length");
  if (cl.empty()) return {};
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
  if (ec != std::errc() || p != cl.data() + cl.size()) {
    close_connection(c);
    return fail(Code::BAD_REQUEST, "invalid Content-Length \"" + cl.substr(0, 40) + "\"");
  }
  if (n > limit) {
    close_connection(c);
    return fail(over ? *over : r2::errors::entity_too_large(limit));
  }
  return {};
}

Status stream_body(Call& c, r2::BodyWriter& w, const UploadCap* cap) {
  if (!c.reader) return {};
  Status err;
  bool ok = (*c.reader)([&](const char* data, size_t n) {
    if (cap && w.size() + n > cap->max_bytes) {
      err = fail(cap->error);
      return false;
    }
    err = w.write(data, n);
    return bool(err);
  });
  if (!err) {
    close_connection(c);
    return err;
  }
  std::string cl = c.req.get_header_value("Content-Length");
  uint64_t declared = 0;
  bool has_cl = !cl.empty() && std::from_chars(cl.data(), cl.data() + cl.size(), declared).ec == std::errc();
  if (!ok || (has_cl && w.size() != declared)) {
    close_connection(c);
    return fail(r2::errors::incomplete_body().with_details(
        {{"received", w.size()}, {"content_length", has_cl ? json(declared) : json(nullptr)}}));
  }
  return {};
}

namespace {
std::optional<std::string> header(const Call& c, const char* name) {
  if (!c.req.has_header(name)) return std::nullopt;
  return c.req.get_header_value(name);
}
}  // namespace

// Custom metadata set through the JSON route may hold any text; a header carries only token
// characters in its name and no CR/LF in its value. Other bytes are percent-encoded.
std::string header_name_safe(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    bool token = std::isalnum(ch) || std::string_view("!#$&'*+-.^_`|~").find(static_cast<char>(ch)) != std::string_view::npos;
    if (token) out += static_cast<char>(ch);
    else out += '%', out += hex[ch >> 4], out += hex[ch & 15];
  }
  return out;
}

std::string header_value_safe(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (ch == '\r' || ch == '\n' || ch == 0) out += '%', out += hex[ch >> 4], out += hex[ch & 15];
    else out += static_cast<char>(ch);
  }
  return out;
}

Result<r2::HttpMetadata> http_from_headers(const Call& c) {
  r2::HttpMetadata h;
  h.content_type = header(c, "Content-Type");
  h.content_language = header(c, "Content-Language");
  h.content_disposition = header(c, "Content-Disposition");
  // Stored as sent and served back as Content-Encoding, as R2 does (the body is never decoded);
  // X-Era-Content-Encoding, from earlier releases, still names it too.
  h.content_encoding = header(c, "X-Era-Content-Encoding");
  if (!h.content_encoding) h.content_encoding = header(c, "Content-Encoding");
  h.cache_control = header(c, "Cache-Control");
  if (auto e = header(c, "Expires")) {
    auto ms = core::parse_http_date(*e);
    if (!ms) ms = core::parse_iso8601(*e);
    if (!ms)
      return fail(r2::errors::invalid_argument("Expires header \"" + e->substr(0, 60) +
                                               "\" is not an HTTP date"));
    h.cache_expiry_ms = *ms;
  }
  return h;
}

r2::Conditional conditional_from_headers(const Call& c, bool s3) {
  r2::Conditional cond;
  cond.seconds_granularity = true;
  cond.unmodified_inclusive = s3;
  if (auto v = header(c, "If-Match")) cond.etag_matches = r2::parse_etag_list(*v);
  if (auto v = header(c, "If-None-Match")) cond.etag_does_not_match = r2::parse_etag_list(*v);
  // Invalid dates are ignored, as RFC 9110 asks.
  if (auto v = header(c, "If-Unmodified-Since")) cond.uploaded_before = core::parse_http_date(*v);
  if (auto v = header(c, "If-Modified-Since")) cond.uploaded_after = core::parse_http_date(*v);
  return cond;
}

void close_connection(Call& c) { c.res.set_header("Connection", "close"); }

void send_body(Response& res, std::shared_ptr<r2::Body> body, uint64_t offset,
               uint64_t length, const std::string& content_type) {
  if (length == 0) {
    res.set_content(std::string(), content_type);
    return;
  }
  res.set_content_provider(
      length, content_type,
      [body = std::move(body), offset](size_t off, size_t len, DataSink& sink) {
        thread_local std::string buf(kChunk, '\0');
        size_t want = std::min(len, kChunk);
        auto n = body->read_at(offset + off, buf.data(), want);
        if (!n || *n == 0) return false;  // disk error or truncated blob: drop the connection
        return sink.write(buf.data(), *n);
      });
}

Result<r2::CustomMetadata> custom_from_json(const json& j) {
  r2::CustomMetadata out;
  if (j.is_null()) return out;
  if (!j.is_object()) return fail(r2::errors::invalid_metadata("metadata must be an object of string values"));
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string())
      return fail(r2::errors::invalid_metadata("value of \"" + it.key() + "\" must be a string"));
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

Result<r2::HttpMetadata> http_from_json(const json& j) {
  r2::HttpMetadata h;
  if (j.is_null()) return h;
  if (!j.is_object()) return fail(Code::INVALID_BODY, "field \"httpMetadata\" must be an object");
  auto str = [&](const char* f, std::optional<std::string>& out) -> Status {
    auto it = j.find(f);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string())
      return fail(Code::INVALID_BODY, std::string("httpMetadata.") + f + " must be a string");
    out = it->get<std::string>();
    return {};
  };
  ERA_TRY(str("contentType", h.content_type));
  ERA_TRY(str("contentLanguage", h.content_language));
  ERA_TRY(str("contentDisposition", h.content_disposition));
  ERA_TRY(str("contentEncoding", h.content_encoding));
  ERA_TRY(str("cacheControl", h.cache_control));
  if (auto it = j.find("cacheExpiry"); it != j.end() && !it->is_null()) {
    if (it->is_number_integer()) {
      h.cache_expiry_ms = it->get<int64_t>();
    } else if (it->is_string()) {
      auto ms = core::parse_iso8601(it->get<std::string>());
      if (!ms) ms = core::parse_http_date(it->get<std::string>());
      if (!ms) return fail(Code::INVALID_BODY, "httpMetadata.cacheExpiry must be an ISO-8601 date");
      h.cache_expiry_ms = *ms;
    } else {
      return fail(Code::INVALID_BODY, "httpMetadata.cacheExpiry must be an ISO-8601 date or epoch ms");
    }
  }
  return h;
}

}  // namespace era::api::r2http
