// R2's S3-compatible API at /s3 (path style: /s3/{bucket}/{key+}), over the same R2 engine the
// ERA and binary routes use: one bucket namespace, one clock, the same faults and events.
// Reference: docs/api-s3.md. Every row:
//   - names an R2 op (get, put, list, copy, multipart_*, bucket_*), so fault rules and events
//     written for `service: r2` cover S3 requests too;
//   - authenticates in its precheck (SigV4, api/s3/sigv4.h), before any body byte is read;
//   - answers errors as S3's XML (api/s3/errors.h).
// Bodies stream both ways: uploads pass through the aws-chunked decoder (when used), the
// payload hash and checksums, into the engine's BodyWriter; downloads stream from the blob.
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "api/r2raw/common.h"
#include "api/routes.h"
#include "api/s3/chunked.h"
#include "api/s3/config.h"
#include "api/s3/errors.h"
#include "api/s3/sigv4.h"
#include "api/s3/xml.h"
#include "core/checksum.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/names.h"
#include "core/time_util.h"
#include "products/catalog.h"
#include "r2/engine.h"
#include "r2/errors.h"
#include "r2/validate.h"

namespace era::api {
namespace {

using s3::XmlWriter;
using json = nlohmann::json;

constexpr std::string_view kMetaPrefix = "x-amz-meta-";
constexpr size_t kMaxDeleteKeys = 1000;

// ---------------------------------------------------------------- request helpers

std::optional<std::string> header(const Call& c, std::string_view name) {
  if (!c.req.has_header(name)) return std::nullopt;
  return c.req.get_header_value(name);
}

const s3::Auth& auth_of(const Call& c) { return *std::static_pointer_cast<s3::Auth>(c.proto_state); }

Error invalid_request(std::string msg) { return Error(Code::S3_INVALID_REQUEST, std::move(msg)); }
Error invalid_argument(std::string msg) { return r2::errors::invalid_argument(std::move(msg)); }

// The bucket (and key) of the call, validated. Bucket names follow the ERA namespace rule so
// every bucket the other routes made is reachable; CreateBucket is stricter (R2's rule).
Status target(Call& c) {
  c.ns = c.params.at(0);
  if (auto e = core::validate_namespace(c.ns))
    return fail(Error(Code::S3_INVALID_BUCKET_NAME, "The specified bucket is not valid: " + e->message)
                    .with_details({{"BucketName", c.ns.substr(0, 100)}}));
  if (c.params.size() > 1) {
    c.key = c.params[1];
    if (auto e = r2::validate_key(c.key)) return fail(*e);
  }
  return {};
}

Error no_such_bucket(const Call& c) {
  return Error(Code::S3_NO_SUCH_BUCKET, "The specified bucket does not exist.").with_details({{"BucketName", c.ns}});
}

Result<bool> bucket_exists(Services& s, const Call& c) {
  if (s.catalog && s.catalog->get()->bucket(c.ns)) return true;
  return s.r2->bucket_exists(c.ns);
}

Status require_bucket(Services& s, const Call& c) {
  auto e = bucket_exists(s, c);
  if (!e) return fail(e.error());
  if (!*e) return fail(no_such_bucket(c));
  return {};
}

// S3 keys in listings; encoding-type=url asks for them URL-encoded ('/' kept).
struct KeyEncoder {
  bool url = false;
  std::string operator()(std::string_view s) const { return url ? s3::uri_encode(s, true) : std::string(s); }
};

Result<KeyEncoder> encoding_of(const Call& c) {
  KeyEncoder enc;
  if (c.has_query("encoding-type")) {
    std::string e = c.query("encoding-type");
    if (e != "url") return fail(invalid_argument("Invalid Encoding Method specified in Request: encoding-type must be \"url\""));
    enc.url = true;
  }
  return enc;
}

Result<int> int_param(const Call& c, const char* name, int def, int max) {
  if (!c.has_query(name)) return def;
  std::string v = c.query(name);
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < 0)
    return fail(invalid_argument(std::string(name) + " must be a non-negative integer, not \"" + v.substr(0, 40) + "\""));
  return std::min(n, max);
}

std::string iso(int64_t ms) { return core::iso8601_ms(ms); }

void owner(XmlWriter& w, std::string_view tag = "Owner") {
  w.open(tag).leaf("ID", "era-emu").leaf("DisplayName", "era-emu").close();
}

void send_xml(Call& c, const std::string& xml, int status = 200) {
  c.res.status = status;
  c.res.set_content(xml, "application/xml");
}

// ---------------------------------------------------------------- metadata headers

r2::CustomMetadata custom_from_headers(const Call& c) {
  r2::CustomMetadata m;
  for (const auto& [name, value] : c.req.headers) {
    std::string l = ascii_lower(name);
    if (l.size() > kMetaPrefix.size() && l.starts_with(kMetaPrefix)) m[l.substr(kMetaPrefix.size())] = value;
  }
  return m;
}

// Content-* and friends, with aws-chunked (a transfer detail of the upload) removed from
// Content-Encoding, as S3 does.
Result<r2::HttpMetadata> http_from_headers(const Call& c) {
  auto h = r2http::http_from_headers(c);
  if (!h) return h;
  if (h->content_encoding) {
    std::string kept;
    std::string_view v = *h->content_encoding;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view item = v.substr(0, comma);
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.empty() || iequals(item, "aws-chunked")) continue;
      if (!kept.empty()) kept += ",";
      kept += item;
    }
    if (kept.empty()) h->content_encoding.reset();
    else h->content_encoding = kept;
  }
  return h;
}

void object_headers(Response& res, const r2::ObjectMeta& m) {
  res.set_header("ETag", m.http_etag());
  res.set_header("Last-Modified", core::http_date(m.uploaded_ms));
  res.set_header("Accept-Ranges", "bytes");
  if (m.http.content_language) res.set_header("Content-Language", *m.http.content_language);
  if (m.http.content_disposition) res.set_header("Content-Disposition", *m.http.content_disposition);
  if (m.http.content_encoding) res.set_header("Content-Encoding", *m.http.content_encoding);
  if (m.http.cache_control) res.set_header("Cache-Control", *m.http.cache_control);
  if (m.http.cache_expiry_ms) res.set_header("Expires", core::http_date(*m.http.cache_expiry_ms));
  if (m.parts) res.set_header("x-amz-mp-parts-count", std::to_string(m.parts));
  for (const auto& [k, v] : m.custom)
    res.set_header("x-amz-meta-" + r2http::header_name_safe(k), r2http::header_value_safe(v));
}

// ---------------------------------------------------------------- upload bodies

// The checksums an upload names: x-amz-checksum-<alg> headers (checked at the end), or
// x-amz-trailer naming one that arrives in the aws-chunked trailer.
struct ChecksumCheck {
  std::string name;                // "crc32", "sha256", …
  std::optional<core::Crc> crc;
  std::unique_ptr<core::Digest> digest;
  std::string expected_b64;        // from the header; empty when it comes in the trailer
  bool from_trailer = false;
  std::string actual_b64;

  void update(const char* d, size_t n) {
    if (crc) crc->update(d, n);
    else digest->update(d, n);
  }
};

Result<std::unique_ptr<ChecksumCheck>> make_check(std::string_view name) {
  auto chk = std::make_unique<ChecksumCheck>();
  chk->name = ascii_lower(name);
  if (auto alg = core::Crc::parse(chk->name)) chk->crc.emplace(*alg);
  else if (chk->name == "sha1") chk->digest = std::make_unique<core::Digest>(core::Digest::Alg::sha1);
  else if (chk->name == "sha256") chk->digest = std::make_unique<core::Digest>(core::Digest::Alg::sha256);
  else
    return fail(invalid_request("Value for x-amz-checksum-" + chk->name.substr(0, 20) +
                                " is not a supported algorithm: use crc32, crc32c, crc64nvme, sha1 or sha256"));
  return chk;
}

Result<std::vector<std::unique_ptr<ChecksumCheck>>> checksum_plan(const Call& c) {
  std::vector<std::unique_ptr<ChecksumCheck>> out;
  for (const auto& [name, value] : c.req.headers) {
    std::string l = ascii_lower(name);
    if (!l.starts_with("x-amz-checksum-") || l == "x-amz-checksum-algorithm" || l == "x-amz-checksum-type" ||
        l == "x-amz-checksum-mode")
      continue;
    auto chk = make_check(l.substr(15));
    if (!chk) return fail(chk.error());
    (*chk)->expected_b64 = value;
    out.push_back(std::move(*chk));
  }
  if (auto t = header(c, "x-amz-trailer")) {
    std::string l = ascii_lower(*t);
    if (!l.starts_with("x-amz-checksum-"))
      return fail(invalid_request("x-amz-trailer may only name an x-amz-checksum-* header, not \"" + t->substr(0, 60) + "\""));
    auto chk = make_check(l.substr(15));
    if (!chk) return fail(chk.error());
    (*chk)->from_trailer = true;
    out.push_back(std::move(*chk));
  }
  return out;
}

// The length of the payload the client declared: x-amz-decoded-content-length for aws-chunked
// bodies, Content-Length otherwise. nullopt when neither is given.
Result<std::optional<uint64_t>> declared_length(const Call& c) {
  const bool streaming = s3::is_streaming(auth_of(c).payload);
  std::string v = streaming ? c.req.get_header_value("x-amz-decoded-content-length")
                            : c.req.get_header_value("Content-Length");
  if (v.empty()) {
    if (streaming && !c.req.has_header("Transfer-Encoding"))
      return fail(Error(Code::S3_INVALID_REQUEST, 411,
                        "an aws-chunked upload needs x-amz-decoded-content-length (MissingContentLength)")
                      .with_details({{"code", "MissingContentLength"}}));
    return std::optional<uint64_t>{};
  }
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size())
    return fail(invalid_request("invalid length header \"" + v.substr(0, 40) + "\""));
  return std::optional<uint64_t>(n);
}

// Streams the request body (decoding aws-chunked when used) into `w`, checking the payload
// hash, the declared length and every checksum. Returns the checksums as "name" → base64.
Result<std::vector<std::pair<std::string, std::string>>> receive_body(Call& c, r2::BodyWriter& w) {
  const s3::Auth& auth = auth_of(c);
  auto plan = checksum_plan(c);
  if (!plan) return fail(plan.error());
  auto declared = declared_length(c);
  if (!declared) return fail(declared.error());
  std::unique_ptr<core::Digest> sha;
  if (auth.payload == s3::Payload::hashed) sha = std::make_unique<core::Digest>(core::Digest::Alg::sha256);

  Status err;
  auto deliver = [&](const char* d, size_t n) -> Status {
    for (auto& chk : *plan) chk->update(d, n);
    return w.write(d, n);
  };
  std::unique_ptr<s3::ChunkDecoder> chunks;
  if (s3::is_streaming(auth.payload)) chunks = std::make_unique<s3::ChunkDecoder>(auth, deliver);
  bool ok = true;
  if (c.reader) {
    ok = (*c.reader)([&](const char* d, size_t n) {
      if (sha) sha->update(d, n);
      err = chunks ? chunks->feed(d, n) : deliver(d, n);
      return bool(err);
    });
  }
  if (!err) return fail(err.error());
  if (!ok) return fail(r2::errors::incomplete_body().with_details({{"received", w.size()}}));
  if (chunks) ERA_TRY(chunks->finish());
  if (*declared && w.size() != **declared)
    return fail(Error(Code::S3_INCOMPLETE_BODY, "You did not provide the number of bytes specified by the "
                                                "Content-Length HTTP header")
                    .with_details({{"received", w.size()}, {"declared", **declared}}));
  if (sha) {
    std::string got = core::to_hex(sha->finish());
    if (got != auth.content_sha256)
      return fail(Error(Code::S3_CONTENT_SHA256_MISMATCH, "The provided 'x-amz-content-sha256' header does not "
                                                          "match what was computed.")
                      .with_details({{"ClientComputedContentSHA256", auth.content_sha256},
                                     {"S3ComputedContentSHA256", got}}));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& chk : *plan) {
    std::string raw = chk->crc ? chk->crc->finish() : chk->digest->finish();
    chk->actual_b64 = core::base64_encode(raw);
    std::string expected = chk->expected_b64;
    if (chk->from_trailer) {
      auto it = chunks ? chunks->trailers().find("x-amz-checksum-" + chk->name) : decltype(chunks->trailers().end()){};
      if (!chunks || it == chunks->trailers().end())
        return fail(Error(Code::S3_INCOMPLETE_BODY, "x-amz-trailer names x-amz-checksum-" + chk->name +
                                                        " but the body's trailer does not carry it"));
      expected = it->second;
    }
    if (expected != chk->actual_b64) {
      std::string alg = chk->name;
      std::transform(alg.begin(), alg.end(), alg.begin(), ::toupper);
      return fail(Error(Code::R2_BAD_DIGEST, "The " + alg + " you specified did not match the calculated checksum.")
                      .with_details({{"provided", expected.substr(0, 100)}, {"actual", chk->actual_b64}, {"algorithm", alg}}));
    }
    out.emplace_back(chk->name, chk->actual_b64);
  }
  return out;
}

// A buffered body (XML documents): its payload hash, Content-MD5 and checksums hold.
Status check_buffered(const Call& c) {
  const s3::Auth& auth = auth_of(c);
  if (s3::is_streaming(auth.payload))
    return fail(invalid_request("this operation takes its XML body without aws-chunked encoding"));
  if (auth.payload == s3::Payload::hashed && s3::hex_sha256(c.body) != auth.content_sha256)
    return fail(Error(Code::S3_CONTENT_SHA256_MISMATCH, "The provided 'x-amz-content-sha256' header does not match "
                                                        "what was computed."));
  if (auto md5 = header(c, "Content-MD5")) {
    auto raw = core::base64_decode(*md5);
    if (!raw || raw->size() != 16) return fail(r2::errors::invalid_digest("Content-MD5"));
    if (*raw != core::md5(c.body))
      return fail(Error(Code::R2_BAD_DIGEST, "The Content-MD5 you specified did not match what we received."));
  }
  auto plan = checksum_plan(c);
  if (!plan) return fail(plan.error());
  for (auto& chk : *plan) {
    if (chk->from_trailer) continue;
    chk->update(c.body.data(), c.body.size());
    std::string got = core::base64_encode(chk->crc ? chk->crc->finish() : chk->digest->finish());
    if (got != chk->expected_b64)
      return fail(Error(Code::R2_BAD_DIGEST, "The x-amz-checksum-" + chk->name +
                                                 " you specified did not match the calculated checksum."));
  }
  return {};
}

// ---------------------------------------------------------------- precheck: auth and limits

// Subresources of S3 that R2 does not implement: NotImplemented, as R2 answers.
constexpr std::string_view kUnsupported[] = {
    "acl", "policy", "policyStatus", "versioning", "tagging", "website", "encryption", "object-lock",
    "replication", "logging", "notification", "ownershipControls", "publicAccessBlock", "analytics",
    "metrics", "inventory", "intelligent-tiering", "accelerate", "requestPayment", "versions",
    "retention", "legal-hold", "torrent", "restore", "attributes", "select", "versionId"};

Status authenticate(Services& s, Call& c) {
  s3::Credentials creds{s.settings.s3_access_key, s.settings.s3_secret_key};
  auto a = s3::verify(c.req, creds, s.clock->now_ms());
  if (!a) return fail(a.error());
  c.proto_state = std::make_shared<s3::Auth>(std::move(*a));
  for (std::string_view q : kUnsupported)
    if (c.has_query(std::string(q)))
      return fail(Error(Code::S3_NOT_IMPLEMENTED, "R2 does not implement the ?" + std::string(q) +
                                                      " subresource; era-emu answers as R2 does"));
  return {};
}

// Uploads: a declared length over the limit is refused before any byte is read.
Status authenticate_upload(Services& s, Call& c) {
  ERA_TRY(authenticate(s, c));
  auto n = declared_length(c);
  if (!n) return fail(n.error());
  uint64_t limit = s.r2->options().max_put_bytes;
  if (c.params.size() > 0 && c.route->op == Op::put) limit = std::min(limit, s.r2->max_object_bytes(c.params[0]));
  if (*n && **n > limit) return fail(r2::errors::entity_too_large(limit).with_details({{"ProposedSize", **n}, {"MaxSizeAllowed", limit}}));
  return {};
}

// ---------------------------------------------------------------- bucket operations

Status list_buckets(Services& s, Call& c) {
  auto list = s.r2->list_buckets();
  if (!list) return fail(list.error());
  std::map<std::string, int64_t> all;
  for (auto& b : *list) all[b.name] = b.created_ms;
  if (s.catalog)
    for (const auto& b : s.catalog->get()->buckets) all.emplace(b.name, 0);
  std::string prefix = c.query("prefix");
  XmlWriter w;
  w.root("ListAllMyBucketsResult");
  owner(w);
  w.open("Buckets");
  for (const auto& [name, created] : all) {
    if (!name.starts_with(prefix)) continue;
    w.open("Bucket").leaf("Name", name).leaf("CreationDate", iso(created)).close();
  }
  w.close();
  send_xml(c, w.finish());
  return {};
}

Status head_bucket(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  c.res.set_header("x-amz-bucket-region", "auto");
  c.res.status = 200;
  return {};
}

Status get_location(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  XmlWriter w;
  w.root("LocationConstraint");
  std::string xml = w.finish();
  // <LocationConstraint …>auto</LocationConstraint>: the writer closed it empty; put the text in.
  xml.insert(xml.rfind("</LocationConstraint>"), "auto");
  send_xml(c, xml);
  return {};
}

bool r2_bucket_name(std::string_view n) {
  if (n.size() < 3 || n.size() > 63) return false;
  auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) return false;
  return std::all_of(n.begin(), n.end(), [&](char ch) { return alnum(ch) || ch == '-'; });
}

Status create_bucket(Services& s, Call& c) {
  c.ns = c.params.at(0);
  if (!r2_bucket_name(c.ns))
    return fail(Error(Code::S3_INVALID_BUCKET_NAME,
                      "The specified bucket is not valid: bucket names are 3-63 characters of lowercase letters, "
                      "digits and '-', starting and ending with a letter or digit")
                    .with_details({{"BucketName", c.ns.substr(0, 100)}}));
  if (!c.body.empty()) {
    ERA_TRY(check_buffered(c));
    auto doc = s3::parse_xml(c.body, "CreateBucketConfiguration");
    if (!doc) return fail(doc.error());
    std::string loc = doc->text_of("LocationConstraint").value_or("");
    if (!loc.empty() && loc != "auto" && loc != "us-east-1")
      return fail(invalid_argument("Invalid location constraint \"" + loc.substr(0, 40) +
                                   "\": R2 buckets are in region auto (us-east-1 and empty are aliases)")
                      .with_details({{"code", "InvalidLocationConstraint"}}));
  }
  if (s.catalog && s.catalog->get()->bucket(c.ns))
    return fail(Error(Code::S3_BUCKET_EXISTS, "Your previous request to create the named bucket succeeded and you "
                                              "already own it (it is declared in era-emu.json).")
                    .with_details({{"BucketName", c.ns}}));
  auto created = s.r2->create_bucket(c.ctx, c.ns);
  if (!created) return fail(created.error());
  if (!*created)
    return fail(Error(Code::S3_BUCKET_EXISTS,
                      "Your previous request to create the named bucket succeeded and you already own it.")
                    .with_details({{"BucketName", c.ns}}));
  c.res.set_header("Location", "/" + c.ns);
  c.res.status = 200;
  return {};
}

Status delete_bucket(Services& s, Call& c) {
  ERA_TRY(target(c));
  if (s.catalog && s.catalog->get()->bucket(c.ns)) {
    auto any = s.r2->list(c.ctx, c.ns, r2::ListOptions{.limit = 1});
    if (!any) return fail(any.error());
    if (!any->objects.empty())
      return fail(Error(Code::S3_BUCKET_NOT_EMPTY, "The bucket you tried to delete is not empty."));
    return fail(invalid_request("bucket \"" + c.ns + "\" is declared in era-emu.json; remove it there instead"));
  }
  ERA_TRY(require_bucket(s, c));
  Status st = s.r2->delete_bucket(c.ctx, c.ns);
  if (!st && st.error().code != Code::S3_NO_SUCH_BUCKET) return st;  // implicit and empty: nothing to drop
  c.res.status = 204;
  return {};
}

// ---------------------------------------------------------------- bucket CORS and lifecycle

Status get_cors(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  auto stored = s.r2->bucket_config(c.ns, "cors");
  if (!stored) return fail(stored.error());
  if (stored->is_null()) {
    // Declared rules (era-emu.json) are the bucket's CORS policy until S3 replaces them.
    const auto* b = s.catalog ? s.catalog->get()->bucket(c.ns) : nullptr;
    if (!b || b->cors.empty())
      return fail(Error(Code::S3_NO_SUCH_CORS, "The CORS configuration does not exist").with_details({{"BucketName", c.ns}}));
    json rules = json::array();
    for (const auto& r : b->cors) {
      json j = {{"allowed", {{"origins", r.origins}, {"methods", r.methods}, {"headers", r.headers}}}};
      if (!r.expose.empty()) j["exposeHeaders"] = r.expose;
      if (r.max_age_seconds) j["maxAgeSeconds"] = *r.max_age_seconds;
      rules.push_back(std::move(j));
    }
    send_xml(c, s3::cors_to_xml(rules));
    return {};
  }
  send_xml(c, s3::cors_to_xml(*stored));
  return {};
}

Status put_cors(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(check_buffered(c));
  ERA_TRY(require_bucket(s, c));
  auto rules = s3::cors_from_xml(c.body);
  if (!rules) return fail(rules.error());
  ERA_TRY(s.r2->set_bucket_config(c.ctx, c.ns, "cors", *rules));
  c.res.status = 200;
  return {};
}

Status delete_cors(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  ERA_TRY(s.r2->set_bucket_config(c.ctx, c.ns, "cors", json()));
  c.res.status = 204;
  return {};
}

Status get_lifecycle(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  auto stored = s.r2->bucket_config(c.ns, "lifecycle");
  if (!stored) return fail(stored.error());
  if (stored->is_null() || stored->empty())
    return fail(Error(Code::S3_NO_SUCH_LIFECYCLE, "The lifecycle configuration does not exist")
                    .with_details({{"BucketName", c.ns}}));
  send_xml(c, s3::lifecycle_to_xml(*stored));
  return {};
}

Status put_lifecycle(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(check_buffered(c));
  ERA_TRY(require_bucket(s, c));
  auto rules = s3::lifecycle_from_xml(c.body);
  if (!rules) return fail(rules.error());
  ERA_TRY(s.r2->set_bucket_lifecycle(c.ctx, c.ns, *rules));
  c.res.status = 200;
  return {};
}

Status delete_lifecycle(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  ERA_TRY(s.r2->set_bucket_lifecycle(c.ctx, c.ns, json::array()));
  c.res.status = 204;
  return {};
}

// ---------------------------------------------------------------- listings

Status list_objects(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto enc = encoding_of(c);
  if (!enc) return fail(enc.error());
  const bool v2 = c.query("list-type") == "2";
  if (c.has_query("list-type") && !v2) return fail(invalid_argument("list-type must be 2"));
  auto max_keys = int_param(c, "max-keys", 1000, 1000);
  if (!max_keys) return fail(max_keys.error());
  r2::ListOptions o;
  o.prefix = c.query("prefix");
  o.delimiter = c.query("delimiter");
  o.limit = std::max(*max_keys, 1);
  if (v2) {
    o.cursor = c.query("continuation-token");
    if (o.cursor.empty()) o.start_after = c.query("start-after");
  } else {
    o.start_after = c.query("marker");
  }
  r2::ListResult r;
  if (*max_keys > 0) {
    auto got = s.r2->list(c.ctx, c.ns, o);
    if (!got) {
      if (got.error().code == Code::R2_INVALID_CURSOR)
        return fail(invalid_argument("The continuation token provided is incorrect"));
      return fail(got.error());
    }
    r = std::move(*got);
  }
  if (r.objects.empty() && r.delimited_prefixes.empty()) ERA_TRY(require_bucket(s, c));
  XmlWriter w;
  w.root("ListBucketResult");
  w.leaf("Name", c.ns).leaf("Prefix", (*enc)(o.prefix));
  if (v2) {
    if (c.has_query("continuation-token")) w.leaf("ContinuationToken", c.query("continuation-token"));
    if (c.has_query("start-after")) w.leaf("StartAfter", (*enc)(c.query("start-after")));
    w.leaf("KeyCount", r.objects.size() + r.delimited_prefixes.size());
  } else {
    w.leaf("Marker", (*enc)(o.start_after));
  }
  w.leaf("MaxKeys", static_cast<uint64_t>(*max_keys));
  if (!o.delimiter.empty()) w.leaf("Delimiter", (*enc)(o.delimiter));
  if (enc->url) w.leaf("EncodingType", "url");
  w.leaf("IsTruncated", r.truncated ? "true" : "false");
  if (r.truncated) {
    if (v2) {
      w.leaf("NextContinuationToken", r.cursor);
    } else {
      // V1: the last key or common prefix of this page, from which the next page starts after.
      std::string last = r.objects.empty() ? std::string() : r.objects.back().key;
      if (!r.delimited_prefixes.empty() && r.delimited_prefixes.back() > last) last = r.delimited_prefixes.back();
      w.leaf("NextMarker", (*enc)(last));
    }
  }
  const bool with_owner = !v2 || c.query("fetch-owner") == "true";
  for (const auto& m : r.objects) {
    w.open("Contents").leaf("Key", (*enc)(m.key)).leaf("LastModified", iso(m.uploaded_ms));
    w.leaf("ETag", m.http_etag()).leaf("Size", m.size).leaf("StorageClass", "STANDARD");
    if (with_owner) owner(w);
    w.close();
  }
  for (const auto& p : r.delimited_prefixes) w.open("CommonPrefixes").leaf("Prefix", (*enc)(p)).close();
  send_xml(c, w.finish());
  return {};
}

Status list_uploads(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  auto enc = encoding_of(c);
  if (!enc) return fail(enc.error());
  auto max = int_param(c, "max-uploads", 1000, 1000);
  if (!max) return fail(max.error());
  std::string prefix = c.query("prefix"), delimiter = c.query("delimiter");
  std::string key_marker = c.query("key-marker"), id_marker = c.query("upload-id-marker");
  auto all = s.r2->list_uploads(c.ctx, c.ns, prefix);
  if (!all) return fail(all.error());
  XmlWriter w;
  w.root("ListMultipartUploadsResult");
  w.leaf("Bucket", c.ns).leaf("KeyMarker", (*enc)(key_marker)).leaf("UploadIdMarker", id_marker);
  std::vector<const r2::UploadInfo*> page;
  std::vector<std::string> prefixes;
  bool truncated = false;
  for (const auto& u : *all) {
    if (!key_marker.empty()) {
      if (u.key < key_marker) continue;
      if (u.key == key_marker && (id_marker.empty() || u.upload_id <= id_marker)) continue;
    }
    if (!delimiter.empty()) {
      size_t d = u.key.find(delimiter, prefix.size());
      if (d != std::string::npos) {
        std::string cp = u.key.substr(0, d + delimiter.size());
        if (prefixes.empty() || prefixes.back() != cp) {
          if (page.size() + prefixes.size() >= static_cast<size_t>(*max)) {
            truncated = true;
            break;
          }
          prefixes.push_back(cp);
        }
        continue;
      }
    }
    if (page.size() + prefixes.size() >= static_cast<size_t>(*max)) {
      truncated = true;
      break;
    }
    page.push_back(&u);
  }
  if (truncated && !page.empty())
    w.leaf("NextKeyMarker", (*enc)(page.back()->key)).leaf("NextUploadIdMarker", page.back()->upload_id);
  if (!delimiter.empty()) w.leaf("Delimiter", (*enc)(delimiter));
  if (!prefix.empty()) w.leaf("Prefix", (*enc)(prefix));
  if (enc->url) w.leaf("EncodingType", "url");
  w.leaf("MaxUploads", static_cast<uint64_t>(*max)).leaf("IsTruncated", truncated ? "true" : "false");
  for (const auto* u : page) {
    w.open("Upload").leaf("Key", (*enc)(u->key)).leaf("UploadId", u->upload_id);
    owner(w, "Initiator");
    owner(w);
    w.leaf("StorageClass", "STANDARD").leaf("Initiated", iso(u->created_ms)).close();
  }
  for (const auto& p : prefixes) w.open("CommonPrefixes").leaf("Prefix", (*enc)(p)).close();
  send_xml(c, w.finish());
  return {};
}

Status list_parts(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto max = int_param(c, "max-parts", 1000, 1000);
  if (!max) return fail(max.error());
  auto marker = int_param(c, "part-number-marker", 0, 10000);
  if (!marker) return fail(marker.error());
  std::string upload_id = c.query("uploadId");
  auto parts = s.r2->list_parts(c.ctx, c.ns, c.key, upload_id);
  if (!parts) {
    if (parts.error().code == Code::R2_NO_SUCH_UPLOAD) ERA_TRY(require_bucket(s, c));
    return fail(parts.error());
  }
  XmlWriter w;
  w.root("ListPartsResult");
  w.leaf("Bucket", c.ns).leaf("Key", c.key).leaf("UploadId", upload_id);
  owner(w, "Initiator");
  owner(w);
  w.leaf("StorageClass", "STANDARD").leaf("PartNumberMarker", static_cast<uint64_t>(*marker));
  std::vector<const r2::UploadedPart*> page;
  bool truncated = false;
  for (const auto& p : *parts) {
    if (p.number <= static_cast<uint32_t>(*marker)) continue;
    if (page.size() >= static_cast<size_t>(*max)) {
      truncated = true;
      break;
    }
    page.push_back(&p);
  }
  if (!page.empty()) w.leaf("NextPartNumberMarker", page.back()->number);
  w.leaf("MaxParts", static_cast<uint64_t>(*max)).leaf("IsTruncated", truncated ? "true" : "false");
  for (const auto* p : page)
    w.open("Part").leaf("PartNumber", p->number).leaf("LastModified", iso(p->uploaded_ms))
        .leaf("ETag", "\"" + p->etag + "\"").leaf("Size", p->size).close();
  send_xml(c, w.finish());
  return {};
}

// ---------------------------------------------------------------- objects

// response-content-type=… and friends replace the stored headers on a GET (signed requests only,
// which every S3 request here is).
void apply_overrides(Call& c) {
  static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (auto [param, hdr] : kOverrides) {
    if (!c.has_query(std::string(param))) continue;
    c.res.headers.erase(std::string(hdr));
    c.res.set_header(hdr, r2http::header_value_safe(c.query(std::string(param))));
  }
}

Status get_object(Services& s, Call& c) {
  ERA_TRY(target(c));
  r2::GetOptions opts;
  opts.only_if = r2http::conditional_from_headers(c, /*s3=*/true);
  opts.body = c.req.method != "HEAD";
  if (auto range = header(c, "Range")) opts.range = r2::parse_range_header(*range);
  if (c.has_query("partNumber"))
    return fail(Error(Code::S3_NOT_IMPLEMENTED, "GetObject with partNumber is not implemented by era-emu"));
  auto r = s.r2->get(c.ctx, c.ns, c.key, opts);
  if (!r) {
    const Error& e = r.error();
    if (e.code == Code::R2_INVALID_RANGE && e.details.contains("size"))
      c.res.set_header("Content-Range", "bytes */" + e.details["size"].dump());
    return fail(e);
  }
  if (!*r) {
    ERA_TRY(require_bucket(s, c));
    return fail(r2::errors::not_found().with_details({{"Key", c.key}}));
  }
  const r2::GetResult& g = **r;
  object_headers(c.res, g.meta);
  if (g.cond == r2::CondResult::not_modified) {
    c.res.status = 304;
    return {};
  }
  if (g.cond == r2::CondResult::failed) {
    c.res.headers.clear();
    return fail(r2::errors::precondition_failed().with_details({{"Condition", "If-Match"}}));
  }
  std::string type = g.meta.http.content_type.value_or("application/octet-stream");
  uint64_t off = 0, len = g.meta.size;
  c.res.status = 200;
  // Stored full-object checksums, when the client asks for them (ChecksumMode=ENABLED, which
  // current SDKs send and then verify); never on a range, which they would not match.
  if (!g.range && iequals(c.req.get_header_value("x-amz-checksum-mode"), "ENABLED")) {
    if (!g.meta.checksums.sha1.empty()) c.res.set_header("x-amz-checksum-sha1", core::base64_encode(g.meta.checksums.sha1));
    if (!g.meta.checksums.sha256.empty())
      c.res.set_header("x-amz-checksum-sha256", core::base64_encode(g.meta.checksums.sha256));
  }
  if (g.range) {
    off = g.range->offset;
    len = g.range->length;
    c.res.status = 206;
    c.res.set_header("Content-Range", "bytes " + std::to_string(off) + "-" + std::to_string(off + len - 1) + "/" +
                                          std::to_string(g.meta.size));
  }
  if (!g.body) {
    c.res.set_content_provider(len, type, [](size_t, size_t, DataSink&) { return false; });
    if (len == 0) c.res.set_content(std::string(), type);
  } else {
    r2http::send_body(c.res, g.body, off, len, type);
  }
  apply_overrides(c);
  return {};
}

Status put_object(Services& s, Call& c) {
  ERA_TRY(target(c));
  r2::PutOptions opts;
  Status pre = [&]() -> Status {
    ERA_TRY(require_bucket(s, c));
    auto http = http_from_headers(c);
    if (!http) return fail(http.error());
    opts.http = std::move(*http);
    opts.custom = custom_from_headers(c);
    if (auto v = header(c, "Content-MD5")) {
      auto raw = core::base64_decode(*v);
      if (!raw || raw->size() != 16) return fail(r2::errors::invalid_digest("Content-MD5"));
      opts.expected.md5 = std::move(*raw);
    }
    opts.only_if = r2http::conditional_from_headers(c, /*s3=*/true);
    // SHA-1 / SHA-256 checksums are kept with the object (GetObject returns them); the engine
    // verifies them as well as receive_body() does.
    for (auto [name, dst] : {std::pair{"x-amz-checksum-sha1", &opts.expected.sha1},
                             std::pair{"x-amz-checksum-sha256", &opts.expected.sha256}})
      if (auto v = header(c, name)) {
        auto raw = core::base64_decode(*v);
        if (!raw || raw->size() != (dst == &opts.expected.sha1 ? 20u : 32u))
          return fail(r2::errors::invalid_digest(name));
        *dst = std::move(*raw);
      }
    return s.r2->check_put(c.ns, c.key, opts);
  }();
  if (!pre) {
    r2http::close_connection(c);
    return pre;
  }
  auto w = s.r2->begin_body(c.ns, opts.expected);
  if (!w) return fail(w.error());
  auto sums = receive_body(c, *w);
  if (!sums) {
    r2http::close_connection(c);
    return fail(sums.error());
  }
  auto m = s.r2->put(c.ctx, c.ns, c.key, std::move(*w), opts);
  if (!m) return fail(m.error());
  c.res.set_header("ETag", m->http_etag());
  for (const auto& [name, b64] : *sums) c.res.set_header("x-amz-checksum-" + name, b64);
  c.res.status = 200;
  return {};
}

Status delete_object(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  ERA_TRY(s.r2->del(c.ctx, c.ns, c.key));
  c.res.status = 204;
  return {};
}

Status delete_objects(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(check_buffered(c));
  ERA_TRY(require_bucket(s, c));
  auto doc = s3::parse_xml(c.body, "Delete");
  if (!doc) return fail(doc.error());
  const bool quiet = doc->text_of("Quiet").value_or("false") == "true";
  auto objects = doc->all("Object");
  if (objects.empty()) return fail(Error(Code::S3_MALFORMED_XML, "The XML you provided was not well-formed or did "
                                                                 "not validate against our published schema: no <Object>"));
  if (objects.size() > kMaxDeleteKeys)
    return fail(Error(Code::S3_MALFORMED_XML, "DeleteObjects takes at most 1000 keys, not " +
                                                  std::to_string(objects.size())));
  XmlWriter w;
  w.root("DeleteResult");
  for (const auto* o : objects) {
    auto key = o->text_of("Key");
    if (!key) return fail(Error(Code::S3_MALFORMED_XML, "an <Object> has no <Key>"));
    Status st = r2::validate_key(*key) ? fail(*r2::validate_key(*key)) : s.r2->del(c.ctx, c.ns, *key);
    if (st) {
      if (!quiet) w.open("Deleted").leaf("Key", *key).close();
    } else {
      w.open("Error").leaf("Key", *key).leaf("Code", s3::s3_code(st.error())).leaf("Message", st.error().message).close();
    }
  }
  send_xml(c, w.finish());
  return {};
}

// x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, optionally "?versionId=…".
Result<r2::CopySource> copy_source(const Call& c) {
  std::string raw = c.req.get_header_value("x-amz-copy-source");
  if (size_t q = raw.find('?'); q != std::string::npos) {
    if (!raw.substr(q + 1).starts_with("versionId="))
      return fail(invalid_argument("x-amz-copy-source may only carry ?versionId="));
    raw.resize(q);  // R2 keeps one version: the current one is the only one there is
  }
  std::string decoded = percent_decode(raw, false);
  std::string_view v = decoded;
  if (v.starts_with('/')) v.remove_prefix(1);
  size_t slash = v.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == v.size())
    return fail(invalid_argument("x-amz-copy-source must be <bucket>/<key> (URL-encoded), not \"" + raw.substr(0, 100) + "\""));
  r2::CopySource src;
  src.bucket = std::string(v.substr(0, slash));
  src.key = std::string(v.substr(slash + 1));
  if (auto e = core::validate_namespace(src.bucket))
    return fail(Error(Code::S3_INVALID_BUCKET_NAME, "The source bucket is not valid: " + e->message));
  if (auto e = r2::validate_key(src.key)) return fail(*e);
  r2::Conditional& cond = src.only_if;
  cond.seconds_granularity = true;
  cond.unmodified_inclusive = true;
  if (auto h = header(c, "x-amz-copy-source-if-match")) cond.etag_matches = r2::parse_etag_list(*h);
  if (auto h = header(c, "x-amz-copy-source-if-none-match")) cond.etag_does_not_match = r2::parse_etag_list(*h);
  if (auto h = header(c, "x-amz-copy-source-if-unmodified-since")) cond.uploaded_before = core::parse_http_date(*h);
  if (auto h = header(c, "x-amz-copy-source-if-modified-since")) cond.uploaded_after = core::parse_http_date(*h);
  return src;
}

Status source_bucket_exists(Services& s, Call& c, const std::string& bucket) {
  Call probe(c.req, c.res);
  probe.ns = bucket;
  auto e = bucket_exists(s, probe);
  if (!e) return fail(e.error());
  if (!*e) return fail(Error(Code::S3_NO_SUCH_BUCKET, "The specified bucket does not exist.").with_details({{"BucketName", bucket}}));
  return {};
}

Status copy_object(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  auto src = copy_source(c);
  if (!src) return fail(src.error());
  ERA_TRY(source_bucket_exists(s, c, src->bucket));
  std::string directive = c.req.get_header_value("x-amz-metadata-directive", "COPY");
  if (directive != "COPY" && directive != "REPLACE")
    return fail(invalid_argument("Unknown metadata directive \"" + directive.substr(0, 20) + "\": use COPY or REPLACE"));
  r2::PutOptions opts;
  opts.only_if = r2http::conditional_from_headers(c, /*s3=*/true);  // on the destination (R2's conditional writes)
  const bool replace = directive == "REPLACE";
  if (replace) {
    auto http = http_from_headers(c);
    if (!http) return fail(http.error());
    opts.http = std::move(*http);
    opts.custom = custom_from_headers(c);
  } else if (src->bucket == c.ns && src->key == c.key) {
    return fail(invalid_request("This copy request is illegal because it is trying to copy an object to itself "
                                "without changing the object's metadata, storage class, website redirect location "
                                "or encryption attributes."));
  }
  auto w = s.r2->begin_body(c.ns);
  if (!w) return fail(w.error());
  auto meta = s.r2->read_into(c.ctx, *src, *w);
  if (!meta) {
    if (meta.error().code == Code::R2_OBJECT_NOT_FOUND)
      return fail(r2::errors::not_found().with_details({{"Key", src->key}}));
    return fail(meta.error());
  }
  if (!replace) {
    opts.http = meta->http;
    opts.custom = meta->custom;
  }
  ERA_TRY(s.r2->check_put(c.ns, c.key, opts));
  auto m = s.r2->put(c.ctx, c.ns, c.key, std::move(*w), opts);
  if (!m) return fail(m.error());
  XmlWriter x;
  x.root("CopyObjectResult").leaf("LastModified", iso(m->uploaded_ms)).leaf("ETag", m->http_etag());
  send_xml(c, x.finish());
  return {};
}

// ---------------------------------------------------------------- multipart

Result<uint32_t> part_number(const Call& c) {
  std::string raw = c.query("partNumber");
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
  if (raw.empty() || ec != std::errc() || p != raw.data() + raw.size() || n < 1 || n > r2::kMaxParts)
    return fail(invalid_argument("Part number must be an integer between 1 and 10000, inclusive"));
  return n;
}

Status create_upload(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(require_bucket(s, c));
  auto http = http_from_headers(c);
  if (!http) return fail(http.error());
  auto id = s.r2->create_multipart(c.ctx, c.ns, c.key, *http, custom_from_headers(c));
  if (!id) return fail(id.error());
  XmlWriter w;
  w.root("InitiateMultipartUploadResult").leaf("Bucket", c.ns).leaf("Key", c.key).leaf("UploadId", *id);
  send_xml(c, w.finish());
  return {};
}

Status upload_part(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto n = part_number(c);
  if (!n) {
    r2http::close_connection(c);
    return fail(n.error());
  }
  std::string upload_id = c.query("uploadId");
  r2::Checksums expected;
  Status pre = [&]() -> Status {
    ERA_TRY(s.r2->check_upload(c.ctx, c.ns, c.key, upload_id, *n));
    if (auto v = header(c, "Content-MD5")) {
      auto raw = core::base64_decode(*v);
      if (!raw || raw->size() != 16) return fail(r2::errors::invalid_digest("Content-MD5"));
      expected.md5 = std::move(*raw);
    }
    return {};
  }();
  if (!pre) {
    r2http::close_connection(c);
    return pre;
  }
  auto w = s.r2->begin_body(c.ns, expected);
  if (!w) return fail(w.error());
  auto sums = receive_body(c, *w);
  if (!sums) {
    r2http::close_connection(c);
    return fail(sums.error());
  }
  auto part = s.r2->upload_part(c.ctx, c.ns, c.key, upload_id, *n, std::move(*w), expected);
  if (!part) return fail(part.error());
  c.res.set_header("ETag", "\"" + part->etag + "\"");
  for (const auto& [name, b64] : *sums) c.res.set_header("x-amz-checksum-" + name, b64);
  c.res.status = 200;
  return {};
}

Status upload_part_copy(Services& s, Call& c) {
  ERA_TRY(target(c));
  auto n = part_number(c);
  if (!n) return fail(n.error());
  std::string upload_id = c.query("uploadId");
  ERA_TRY(s.r2->check_upload(c.ctx, c.ns, c.key, upload_id, *n));
  auto src = copy_source(c);
  if (!src) return fail(src.error());
  ERA_TRY(source_bucket_exists(s, c, src->bucket));
  if (auto range = header(c, "x-amz-copy-source-range")) {
    auto spec = r2::parse_range_header(*range);
    if (!spec || !spec->first || !spec->last)
      return fail(invalid_argument("The x-amz-copy-source-range value must be of the form bytes=first-last where "
                                   "first and last are the zero-based offsets of the first and last bytes to copy"));
    src->range = spec;
  }
  auto w = s.r2->begin_body(c.ns);
  if (!w) return fail(w.error());
  auto meta = s.r2->read_into(c.ctx, *src, *w);
  if (!meta) return fail(meta.error());
  auto part = s.r2->upload_part(c.ctx, c.ns, c.key, upload_id, *n, std::move(*w));
  if (!part) return fail(part.error());
  XmlWriter x;
  x.root("CopyPartResult").leaf("LastModified", iso(c.ctx.now_ms)).leaf("ETag", "\"" + part->etag + "\"");
  send_xml(c, x.finish());
  return {};
}

Status complete_upload(Services& s, Call& c) {
  ERA_TRY(target(c));
  ERA_TRY(check_buffered(c));
  auto doc = s3::parse_xml(c.body, "CompleteMultipartUpload");
  if (!doc) return fail(doc.error());
  std::vector<r2::PartRef> refs;
  for (const auto* p : doc->all("Part")) {
    auto num = p->text_of("PartNumber");
    auto etag = p->text_of("ETag");
    uint32_t n = 0;
    if (!num || !etag || std::from_chars(num->data(), num->data() + num->size(), n).ec != std::errc() || n < 1 ||
        n > r2::kMaxParts)
      return fail(Error(Code::S3_MALFORMED_XML, "each <Part> needs a <PartNumber> from 1 to 10000 and an <ETag>"));
    refs.push_back({n, *etag});
  }
  if (refs.empty())
    return fail(Error(Code::S3_MALFORMED_XML, "You must specify at least one part").with_details({{"code", "MalformedXML"}}));
  auto m = s.r2->complete_multipart(c.ctx, c.ns, c.key, c.query("uploadId"), refs);
  if (!m) {
    if (m.error().code == Code::R2_NO_SUCH_UPLOAD) ERA_TRY(require_bucket(s, c));
    return fail(m.error());
  }
  XmlWriter w;
  w.root("CompleteMultipartUploadResult")
      .leaf("Location", s.settings.public_url + "/s3/" + c.ns + "/" + s3::uri_encode(c.key, true))
      .leaf("Bucket", c.ns)
      .leaf("Key", c.key)
      .leaf("ETag", m->http_etag());
  send_xml(c, w.finish());
  return {};
}

Status abort_upload(Services& s, Call& c) {
  ERA_TRY(target(c));
  Status st = s.r2->abort_multipart(c.ctx, c.ns, c.key, c.query("uploadId"));
  if (!st) {
    if (st.error().code == Code::R2_NO_SUCH_UPLOAD) ERA_TRY(require_bucket(s, c));
    return st;
  }
  c.res.status = 204;
  return {};
}

Status post_object(Services& s, Call& c) {
  ERA_TRY(target(c));
  (void)s;
  return fail(Error(Code::S3_NOT_IMPLEMENTED, "POST on an object needs ?uploads or ?uploadId= (browser POST "
                                              "uploads are not implemented by R2)"));
}

}  // namespace

void add_s3_routes(Router& r, Services& s) {
  auto row = [&](std::string method, std::string pattern, Op op, Status (*fn)(Services&, Call&), std::string summary,
                 bool stream = false, bool upload_check = false) -> Route& {
    Route& rt = r.add(std::move(method), std::move(pattern), Service::r2, op, bind_services(s, fn), std::move(summary),
                      stream, bind_services(s, upload_check ? authenticate_upload : authenticate));
    rt.render_error = s3::send_error;
    return rt;
  };
  row("GET", "/s3", Op::bucket_list, list_buckets, "S3 ListBuckets");
  // Bucket rows: conditional (subresource) rows before the plain ones.
  row("HEAD", "/s3/{bucket}", Op::bucket_head, head_bucket, "S3 HeadBucket");
  row("GET", "/s3/{bucket}?location", Op::bucket_head, get_location, "S3 GetBucketLocation (always auto)");
  row("GET", "/s3/{bucket}?uploads", Op::multipart_list, list_uploads, "S3 ListMultipartUploads");
  row("GET", "/s3/{bucket}?cors", Op::bucket_config, get_cors, "S3 GetBucketCors");
  row("PUT", "/s3/{bucket}?cors", Op::bucket_config, put_cors, "S3 PutBucketCors (applies to browser requests)");
  row("DELETE", "/s3/{bucket}?cors", Op::bucket_config, delete_cors, "S3 DeleteBucketCors");
  row("GET", "/s3/{bucket}?lifecycle", Op::bucket_config, get_lifecycle, "S3 GetBucketLifecycleConfiguration");
  row("PUT", "/s3/{bucket}?lifecycle", Op::bucket_config, put_lifecycle,
      "S3 PutBucketLifecycleConfiguration (bucket-wide Expiration Days, AbortIncompleteMultipartUpload)");
  row("DELETE", "/s3/{bucket}?lifecycle", Op::bucket_config, delete_lifecycle, "S3 DeleteBucketLifecycle");
  row("GET", "/s3/{bucket}", Op::list, list_objects, "S3 ListObjects / ListObjectsV2 (?list-type=2)");
  row("PUT", "/s3/{bucket}", Op::bucket_create, create_bucket, "S3 CreateBucket");
  row("DELETE", "/s3/{bucket}", Op::bucket_delete, delete_bucket, "S3 DeleteBucket (must be empty)");
  row("POST", "/s3/{bucket}?delete", Op::del, delete_objects, "S3 DeleteObjects (up to 1000 keys)");
  // Object rows.
  row("GET", "/s3/{bucket}/{key+}?uploadId", Op::multipart_list, list_parts, "S3 ListParts");
  row("GET", "/s3/{bucket}/{key+}", Op::get, get_object, "S3 GetObject (Range, If-*, response-*)");
  row("HEAD", "/s3/{bucket}/{key+}", Op::head, get_object, "S3 HeadObject");
  row("PUT", "/s3/{bucket}/{key+}?partNumber&uploadId", Op::multipart_upload, upload_part_copy,
      "S3 UploadPartCopy (x-amz-copy-source)")
      .needs_header = "x-amz-copy-source";
  row("PUT", "/s3/{bucket}/{key+}?partNumber&uploadId", Op::multipart_upload, upload_part, "S3 UploadPart (streamed)",
      /*stream=*/true, /*upload_check=*/true);
  row("PUT", "/s3/{bucket}/{key+}", Op::copy, copy_object, "S3 CopyObject (x-amz-copy-source)").needs_header =
      "x-amz-copy-source";
  row("PUT", "/s3/{bucket}/{key+}", Op::put, put_object, "S3 PutObject (streamed; aws-chunked, checksums, If-*)",
      /*stream=*/true, /*upload_check=*/true);
  row("DELETE", "/s3/{bucket}/{key+}?uploadId", Op::multipart_abort, abort_upload, "S3 AbortMultipartUpload");
  row("DELETE", "/s3/{bucket}/{key+}", Op::del, delete_object, "S3 DeleteObject");
  row("POST", "/s3/{bucket}/{key+}?uploads", Op::multipart_create, create_upload, "S3 CreateMultipartUpload");
  row("POST", "/s3/{bucket}/{key+}?uploadId", Op::multipart_complete, complete_upload, "S3 CompleteMultipartUpload");
  row("POST", "/s3/{bucket}/{key+}", Op::multipart_create, post_object, "Without ?uploads or ?uploadId: NotImplemented");
}

}  // namespace era::api
