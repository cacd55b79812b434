// R2 over the ERA JSON routes (/api/storage/r2/...) and the binary routes (/api/r2/...).
#include <cstdio>

#include "base64.h"
#include "transport.h"

namespace era::client {
namespace {

std::string json_path(const std::string& ns, const std::string& key = {}) {
  std::string p = "/api/storage/r2/" + encode_component(ns);
  if (!key.empty()) p += "/" + encode_key(key);
  return p;
}

std::string raw_path(const std::string& ns, const std::string& key) {
  return "/api/r2/" + encode_component(ns) + "/" + encode_key(key);
}

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> m;
  if (!j.is_object()) return m;
  for (auto it = j.begin(); it != j.end(); ++it)
    m[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  return m;
}

std::string str(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// An object description from any of the JSON shapes (put reply, get reply, list entry, inspect).
R2Object object_from(const json& j, const std::string& fallback_key = {}) {
  R2Object o;
  o.key = j.contains("key") ? str(j, "key") : fallback_key;
  if (auto it = j.find("size"); it != j.end() && it->is_number()) o.size = it->get<uint64_t>();
  o.etag = str(j, "etag");
  o.version = str(j, "version");
  o.uploaded = str(j, "uploaded");
  if (auto it = j.find("httpMetadata"); it != j.end()) o.http_metadata = R2HttpMetadata::from_json(*it);
  if (auto it = j.find("customMetadata"); it != j.end()) o.custom_metadata = string_map(*it);
  return o;
}

json conditions_json(const R2Conditions& c) {
  json j = json::object();
  if (!c.etag_matches.empty()) j["etagMatches"] = c.etag_matches;
  if (!c.etag_does_not_match.empty()) j["etagDoesNotMatch"] = c.etag_does_not_match;
  if (!c.uploaded_before.empty()) j["uploadedBefore"] = c.uploaded_before;
  if (!c.uploaded_after.empty()) j["uploadedAfter"] = c.uploaded_after;
  return j;
}

// ETags go in If-* headers quoted unless they are "*" or already quoted.
std::string quote_etag(const std::string& e) {
  if (e == "*" || (e.size() >= 2 && e.front() == '"') || e.starts_with("W/")) return e;
  return "\"" + e + "\"";
}

void add_conditions(httplib::Headers& h, const R2Conditions& c) {
  if (!c.etag_matches.empty()) h.emplace("If-Match", quote_etag(c.etag_matches));
  if (!c.etag_does_not_match.empty()) h.emplace("If-None-Match", quote_etag(c.etag_does_not_match));
  if (!c.uploaded_before.empty()) h.emplace("If-Unmodified-Since", c.uploaded_before);
  if (!c.uploaded_after.empty()) h.emplace("If-Modified-Since", c.uploaded_after);
}

httplib::Headers put_headers(const R2PutOptions& o) {
  httplib::Headers h;
  const auto& m = o.http_metadata;
  if (!m.content_language.empty()) h.emplace("Content-Language", m.content_language);
  if (!m.content_disposition.empty()) h.emplace("Content-Disposition", m.content_disposition);
  if (!m.content_encoding.empty()) h.emplace("Content-Encoding", m.content_encoding);
  if (!m.cache_control.empty()) h.emplace("Cache-Control", m.cache_control);
  if (!m.cache_expiry.empty()) h.emplace("Expires", m.cache_expiry);
  for (const auto& [k, v] : o.custom_metadata) h.emplace("X-Era-Meta-" + k, v);
  if (!o.sha256.empty()) h.emplace("X-Era-Checksum-Sha256", o.sha256);
  add_conditions(h, o.only_if);
  return h;
}

std::string content_type_of(const R2PutOptions& o) {
  return o.http_metadata.content_type.empty() ? "application/octet-stream" : o.http_metadata.content_type;
}

std::string unquote(std::string e) {
  if (e.starts_with("W/")) e.erase(0, 2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

// Object metadata from the binary route's response headers.
R2Object object_from_headers(const std::string& key, const Reply& r) {
  R2Object o;
  o.key = key;
  o.status = r.status;
  o.etag = unquote(r.header("ETag"));
  o.version = r.header("X-Era-Version");
  o.uploaded = r.header("X-Era-Uploaded");
  if (o.uploaded.empty()) o.uploaded = r.header("Last-Modified");
  o.content_range = r.header("Content-Range");
  // Size: the whole object's size, from Content-Range's "/total" on 206, else Content-Length.
  std::string total;
  if (auto slash = o.content_range.rfind('/'); slash != std::string::npos)
    total = o.content_range.substr(slash + 1);
  if (total.empty() || total == "*") total = r.header("X-Era-Size");
  if (total.empty()) total = r.header("Content-Length");
  if (!total.empty()) o.size = std::strtoull(total.c_str(), nullptr, 10);
  auto& m = o.http_metadata;
  m.content_type = r.header("Content-Type");
  m.content_language = r.header("Content-Language");
  m.content_disposition = r.header("Content-Disposition");
  m.content_encoding = r.header("Content-Encoding");
  m.cache_control = r.header("Cache-Control");
  m.cache_expiry = r.header("Expires");
  static const std::string kMeta = "x-era-meta-";
  for (const auto& [name, value] : r.headers) {
    if (name.size() <= kMeta.size()) continue;
    std::string lower = name.substr(0, kMeta.size());
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == kMeta) o.custom_metadata[name.substr(kMeta.size())] = value;
  }
  return o;
}

Result<R2Object> put_reply(const std::string& key, Result<Reply> r) {
  if (!r) return std::unexpected(r.error());
  if (!r->ok()) return std::unexpected(error_from(*r));
  auto j = json_body(*r);
  if (!j) return std::unexpected(j.error());
  return object_from(*j, key);
}

httplib::Headers get_headers(const R2GetOptions& o) {
  httplib::Headers h;
  if (o.range) h.emplace("Range", o.range->header());
  add_conditions(h, o.only_if);
  // A conditional GET may be answered 304 with no body and no Content-Length (RFC 9110 15.4.5).
  // cpp-httplib 0.11 then reads "until close", so it would wait out the server's idle timeout on
  // a keep-alive connection; asking for close makes the 304 end where it should.
  if (!o.only_if.etag_does_not_match.empty() || !o.only_if.uploaded_after.empty())
    h.emplace("Connection", "close");
  return h;
}

}  // namespace

// ---- JSON route ----

Result<R2Object> R2Bucket::put(const std::string& key, const std::string& bytes,
                               const R2PutOptions& o) const {
  json body = {{"content", base64_encode(bytes)}};
  if (!o.custom_metadata.empty()) body["metadata"] = o.custom_metadata;
  if (json hm = o.http_metadata.to_json(); !hm.empty()) body["httpMetadata"] = hm;
  if (!o.only_if.empty()) body["onlyIf"] = conditions_json(o.only_if);
  if (!o.sha256.empty()) body["sha256"] = o.sha256;
  auto j = c_->impl().call("PUT", json_path(ns_, key), &body);
  if (!j) return std::unexpected(j.error());
  R2Object obj = object_from(*j, key);
  obj.custom_metadata = o.custom_metadata;
  obj.http_metadata = o.http_metadata;
  return obj;
}

Result<std::optional<R2Object>> R2Bucket::get(const std::string& key) const {
  auto r = c_->impl().send("GET", json_path(ns_, key));
  if (!r) return std::unexpected(r.error());
  if (is_missing(*r)) return std::optional<R2Object>();
  if (!r->ok()) return std::unexpected(error_from(*r));
  auto j = json_body(*r);
  if (!j) return std::unexpected(j.error());
  R2Object o = object_from(*j, key);
  auto body = base64_decode(str(*j, "content"));
  if (!body) return std::unexpected(bad_reply("R2 get reply holds invalid base64", r->body));
  o.body = std::move(*body);
  return std::optional<R2Object>(std::move(o));
}

Status R2Bucket::del(const std::string& key) const {
  auto r = c_->impl().call("DELETE", json_path(ns_, key));
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<R2Page> R2Bucket::list(const R2ListOptions& o) const {
  std::string q = query_string({{"prefix", o.prefix},
                                {"limit", o.limit ? std::to_string(*o.limit) : ""},
                                {"cursor", o.cursor},
                                {"delimiter", o.delimiter},
                                {"startAfter", o.start_after}});
  auto j = c_->impl().call("GET", json_path(ns_) + q);
  if (!j) return std::unexpected(j.error());
  auto objs = j->find("objects");
  if (objs == j->end() || !objs->is_array()) return std::unexpected(bad_reply("no \"objects\" in R2 list reply", j->dump()));
  R2Page page;
  for (const auto& e : *objs) page.objects.push_back(object_from(e));
  page.truncated = j->value("truncated", false);
  page.cursor = str(*j, "cursor");
  if (auto it = j->find("delimitedPrefixes"); it != j->end() && it->is_array())
    for (const auto& p : *it) page.delimited_prefixes.push_back(p.get<std::string>());
  return page;
}

Result<std::vector<R2Object>> R2Bucket::list_all(const std::string& prefix) const {
  std::vector<R2Object> all;
  R2ListOptions o;
  o.prefix = prefix;
  o.limit = 1000;
  for (;;) {
    auto page = list(o);
    if (!page) return std::unexpected(page.error());
    for (auto& obj : page->objects) all.push_back(std::move(obj));
    if (!page->truncated || page->cursor.empty()) return all;
    o.cursor = page->cursor;
  }
}

// ---- binary route ----

Result<R2Object> R2Bucket::put_raw(const std::string& key, const std::string& bytes,
                                   const R2PutOptions& o) const {
  return put_reply(key, c_->impl().send("PUT", raw_path(ns_, key), bytes, content_type_of(o), put_headers(o)));
}

Result<R2Object> R2Bucket::put_file(const std::string& key, const std::filesystem::path& file,
                                    const R2PutOptions& o) const {
  return put_reply(key, c_->impl().put_file(raw_path(ns_, key), file, content_type_of(o), put_headers(o)));
}

Result<std::optional<R2Object>> R2Bucket::get_raw(const std::string& key, const R2GetOptions& o) const {
  auto r = c_->impl().send("GET", raw_path(ns_, key), {}, {}, get_headers(o));
  if (!r) return std::unexpected(r.error());
  if (is_missing(*r)) return std::optional<R2Object>();
  if (!r->ok() && r->status != 304) return std::unexpected(error_from(*r));
  R2Object obj = object_from_headers(key, *r);
  if (r->status != 304) obj.body = std::move(r->body);
  return std::optional<R2Object>(std::move(obj));
}

Result<std::optional<R2Object>> R2Bucket::get_file(const std::string& key, const std::filesystem::path& file,
                                                   const R2GetOptions& o) const {
  std::filesystem::path part = file;
  part += ".part";
  std::FILE* out = std::fopen(part.c_str(), "wb");
  if (!out) return std::unexpected(Error{0, "FILE_ERROR", "cannot create " + part.string(), nullptr});
  auto r = c_->impl().get_to(raw_path(ns_, key), get_headers(o), out);
  bool closed = std::fclose(out) == 0;
  std::error_code ec;
  auto discard = [&] { std::filesystem::remove(part, ec); };
  if (!r) return discard(), std::unexpected(r.error());
  if (is_missing(*r)) return discard(), std::optional<R2Object>();
  if (!r->ok() && r->status != 304) return discard(), std::unexpected(error_from(*r));
  if (!closed) return discard(), std::unexpected(Error{0, "FILE_ERROR", "writing " + part.string() + " failed", nullptr});
  R2Object obj = object_from_headers(key, *r);
  if (r->status == 304) {
    discard();
  } else {
    std::filesystem::rename(part, file, ec);
    if (ec) return discard(), std::unexpected(Error{0, "FILE_ERROR", "rename to " + file.string() + ": " + ec.message(), nullptr});
  }
  return std::optional<R2Object>(std::move(obj));
}

Result<std::optional<R2Object>> R2Bucket::head(const std::string& key) const {
  auto r = c_->impl().send("HEAD", raw_path(ns_, key));
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return std::optional<R2Object>();
  if (!r->ok()) return std::unexpected(error_from(*r));
  return std::optional<R2Object>(object_from_headers(key, *r));
}

Status R2Bucket::del_raw(const std::string& key) const {
  auto r = c_->impl().call("DELETE", raw_path(ns_, key));
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace era::client
