#include "r2/object.h"

#include <cstring>

#include "core/crypto.h"
#include "core/time_util.h"

namespace era::r2 {
namespace {

// Record v1: [u8 1][u64 size][i64 uploaded][i64 created][u32 parts]
//            [str blob][str etag][str version][str md5][str sha1][str sha256]
//            5 x [u8 present][str]  (type, language, disposition, encoding, cache-control)
//            [u8 present][i64 cache expiry] [u32 n] n x ([str name][str value])
// where str = [u32 length][bytes].
// Record v2 (sealed): the same up to [str sha256], then [str sealed_meta] instead of the
// metadata fields.
// Records v3 (plain) and v4 (sealed): v1 / v2 with [str sha384][str sha512] after [str sha256].
// Record v5 (plain, inline body): v3, then [str body]; its [str blob] is empty.
constexpr uint8_t kVersion = 1;
constexpr uint8_t kSealedVersion = 2;
constexpr uint8_t kVersionSha2 = 3;
constexpr uint8_t kSealedVersionSha2 = 4;
constexpr uint8_t kInlineVersion = 5;

struct Out {
  std::string s;
  template <class T>
  void raw(T v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(std::string_view v) {
    raw<uint32_t>(static_cast<uint32_t>(v.size()));
    s.append(v);
  }
  void opt(const std::optional<std::string>& v) {
    raw<uint8_t>(v ? 1 : 0);
    if (v) str(*v);
  }
};

struct In {
  std::string_view b;
  bool ok = true;
  template <class T>
  T raw() {
    T v{};
    if (b.size() < sizeof v) { ok = false; return v; }
    std::memcpy(&v, b.data(), sizeof v);
    b.remove_prefix(sizeof v);
    return v;
  }
  std::string str() {
    uint32_t n = raw<uint32_t>();
    if (!ok || b.size() < n) { ok = false; return {}; }
    std::string v(b.substr(0, n));
    b.remove_prefix(n);
    return v;
  }
  std::optional<std::string> opt() {
    if (raw<uint8_t>() == 0) return std::nullopt;
    return str();
  }
};

void put_user_metadata(Out& o, const HttpMetadata& http, const CustomMetadata& custom) {
  o.opt(http.content_type);
  o.opt(http.content_language);
  o.opt(http.content_disposition);
  o.opt(http.content_encoding);
  o.opt(http.cache_control);
  o.raw<uint8_t>(http.cache_expiry_ms ? 1 : 0);
  if (http.cache_expiry_ms) o.raw<int64_t>(*http.cache_expiry_ms);
  o.raw<uint32_t>(static_cast<uint32_t>(custom.size()));
  for (const auto& [k, v] : custom) {
    o.str(k);
    o.str(v);
  }
}

void get_user_metadata(In& in, HttpMetadata& http, CustomMetadata& custom) {
  http.content_type = in.opt();
  http.content_language = in.opt();
  http.content_disposition = in.opt();
  http.content_encoding = in.opt();
  http.cache_control = in.opt();
  if (in.raw<uint8_t>()) http.cache_expiry_ms = in.raw<int64_t>();
  uint32_t n = in.raw<uint32_t>();
  for (uint32_t i = 0; in.ok && i < n; ++i) {
    std::string k = in.str();
    custom[std::move(k)] = in.str();
  }
}

}  // namespace

std::string encode_user_metadata(const HttpMetadata& http, const CustomMetadata& custom) {
  Out o;
  put_user_metadata(o, http, custom);
  return std::move(o.s);
}

bool decode_user_metadata(std::string_view bytes, HttpMetadata& http, CustomMetadata& custom) {
  In in{bytes};
  get_user_metadata(in, http, custom);
  return in.ok && in.b.empty();
}

std::string encode_object(const ObjectMeta& m) {
  Out o;
  const bool inl = m.inline_body && !m.sealed;  // a sealed body is never inline
  o.s.reserve(160 + m.blob.size() + m.etag.size() + m.sealed_meta.size() +
              (inl ? m.inline_body->size() : 0));
  const bool sha2 = inl || !m.checksums.sha384.empty() || !m.checksums.sha512.empty();
  o.raw<uint8_t>(inl    ? kInlineVersion
                 : sha2 ? (m.sealed ? kSealedVersionSha2 : kVersionSha2)
                        : (m.sealed ? kSealedVersion : kVersion));
  o.raw<uint64_t>(m.size);
  o.raw<int64_t>(m.uploaded_ms);
  o.raw<int64_t>(m.created_ms);
  o.raw<uint32_t>(m.parts);
  o.str(inl ? std::string_view() : std::string_view(m.blob));
  o.str(m.etag);
  o.str(m.version);
  o.str(m.checksums.md5);
  o.str(m.checksums.sha1);
  o.str(m.checksums.sha256);
  if (sha2) {
    o.str(m.checksums.sha384);
    o.str(m.checksums.sha512);
  }
  if (m.sealed)
    o.str(m.sealed_meta);
  else
    put_user_metadata(o, m.http, m.custom);
  if (inl) o.str(*m.inline_body);
  return std::move(o.s);
}

std::optional<ObjectMeta> decode_object(std::string_view bytes, bool with_body) {
  In in{bytes};
  const uint8_t version = in.raw<uint8_t>();
  if (version < kVersion || version > kInlineVersion) return std::nullopt;
  const bool sealed = version == kSealedVersion || version == kSealedVersionSha2;
  ObjectMeta m;
  m.size = in.raw<uint64_t>();
  m.uploaded_ms = in.raw<int64_t>();
  m.created_ms = in.raw<int64_t>();
  m.parts = in.raw<uint32_t>();
  m.blob = in.str();
  m.etag = in.str();
  m.version = in.str();
  m.checksums.md5 = in.str();
  m.checksums.sha1 = in.str();
  m.checksums.sha256 = in.str();
  if (version >= kVersionSha2) {
    m.checksums.sha384 = in.str();
    m.checksums.sha512 = in.str();
  }
  if (sealed) {
    m.sealed = true;
    m.sealed_meta = in.str();
  } else {
    get_user_metadata(in, m.http, m.custom);
  }
  if (version == kInlineVersion) {
    const uint32_t n = in.raw<uint32_t>();
    if (!in.ok || in.b.size() < n || n != m.size || !m.blob.empty()) return std::nullopt;
    if (with_body) m.inline_body = std::string(in.b.substr(0, n));
    in.b.remove_prefix(n);
  }
  if (!in.ok || !in.b.empty()) return std::nullopt;
  return m;
}

nlohmann::json http_metadata_json(const HttpMetadata& h) {
  nlohmann::json j = nlohmann::json::object();
  if (h.content_type) j["contentType"] = *h.content_type;
  if (h.content_language) j["contentLanguage"] = *h.content_language;
  if (h.content_disposition) j["contentDisposition"] = *h.content_disposition;
  if (h.content_encoding) j["contentEncoding"] = *h.content_encoding;
  if (h.cache_control) j["cacheControl"] = *h.cache_control;
  if (h.cache_expiry_ms) j["cacheExpiry"] = core::iso8601_ms(*h.cache_expiry_ms);
  return j;
}

nlohmann::json custom_metadata_json(const CustomMetadata& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c) j[k] = v;
  return j;
}

nlohmann::json checksums_json(const Checksums& c) {
  nlohmann::json j = nlohmann::json::object();
  if (!c.md5.empty()) j["md5"] = core::to_hex(c.md5);
  if (!c.sha1.empty()) j["sha1"] = core::to_hex(c.sha1);
  if (!c.sha256.empty()) j["sha256"] = core::to_hex(c.sha256);
  if (!c.sha384.empty()) j["sha384"] = core::to_hex(c.sha384);
  if (!c.sha512.empty()) j["sha512"] = core::to_hex(c.sha512);
  return j;
}

size_t custom_metadata_bytes(const CustomMetadata& c) {
  size_t n = 0;
  for (const auto& [k, v] : c) n += k.size() + v.size();
  return n;
}

}  // namespace era::r2
