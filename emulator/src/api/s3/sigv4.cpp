#include "api/s3/sigv4.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "core/crypto.h"
#include "core/time_util.h"

namespace era::api::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;  // S3's limit for X-Amz-Expires

Error malformed(std::string msg) { return Error(Code::S3_AUTH_MALFORMED, std::move(msg)); }

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string trim_collapse(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// "20261204T101500Z" → epoch ms.
std::optional<int64_t> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  std::string iso = std::string(d.substr(0, 4)) + "-" + std::string(d.substr(4, 2)) + "-" +
                    std::string(d.substr(6, 2)) + "T" + std::string(d.substr(9, 2)) + ":" +
                    std::string(d.substr(11, 2)) + ":" + std::string(d.substr(13, 2)) + "Z";
  return core::parse_iso8601(iso);
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }
std::string_view query_of(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

// The parts both forms share once parsed.
struct Parsed {
  std::string access_key, date, region, service;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;
};

Status parse_credential(std::string_view cred, Parsed& p) {
  // AKID/20261204/auto/s3/aws4_request (the key id itself may not contain '/')
  std::vector<std::string_view> parts;
  while (true) {
    size_t slash = cred.find('/');
    parts.push_back(cred.substr(0, slash));
    if (slash == std::string_view::npos) break;
    cred.remove_prefix(slash + 1);
  }
  if (parts.size() != 5 || parts[4] != "aws4_request")
    return fail(malformed("the Credential must be <access key>/<YYYYMMDD>/<region>/s3/aws4_request"));
  p.access_key = parts[0];
  p.date = parts[1];
  p.region = parts[2];
  p.service = parts[3];
  return {};
}

Status parse_signed_headers(std::string_view list, Parsed& p) {
  while (!list.empty()) {
    size_t semi = list.find(';');
    std::string name = ascii_lower(list.substr(0, semi));
    if (name.empty()) return fail(malformed("SignedHeaders has an empty header name"));
    p.signed_headers.push_back(std::move(name));
    if (semi == std::string_view::npos) break;
    list.remove_prefix(semi + 1);
  }
  if (p.signed_headers.empty()) return fail(malformed("SignedHeaders is empty"));
  return {};
}

Status parse_header_form(std::string_view auth, Parsed& p) {
  if (!auth.starts_with(kAlgorithm))
    return fail(malformed("only AWS4-HMAC-SHA256 (SigV4) is supported; the Authorization header names another scheme"));
  std::string_view rest = auth.substr(kAlgorithm.size());
  bool cred = false, sh = false, sig = false;
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return fail(malformed("Authorization header item without '=': " + std::string(item.substr(0, 60))));
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name == "Credential") {
      ERA_TRY(parse_credential(value, p));
      cred = true;
    } else if (name == "SignedHeaders") {
      ERA_TRY(parse_signed_headers(value, p));
      sh = true;
    } else if (name == "Signature") {
      p.signature = std::string(value);
      sig = true;
    }
  }
  if (!cred || !sh || !sig)
    return fail(malformed("the Authorization header needs Credential=, SignedHeaders= and Signature="));
  return {};
}

// All values of a header, joined by ',' as SigV4 canonicalizes them.
std::optional<std::string> header_values(const Request& req, std::string_view name) {
  auto [b, e] = req.headers.equal_range(name);
  if (b == e) return std::nullopt;
  std::string out;
  for (auto it = b; it != e; ++it) {
    if (it != b) out += ',';
    out += trim_collapse(it->second);
  }
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical) {
  std::string s(kAlgorithm);
  s += '\n';
  s += amz_date;
  s += '\n';
  s += scope;
  s += '\n';
  s += hex_sha256(canonical);
  return s;
}

std::optional<Payload> payload_of(std::string_view v) {
  if (v == "UNSIGNED-PAYLOAD") return Payload::unsigned_payload;
  if (v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return Payload::streaming_signed;
  if (v == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") return Payload::streaming_signed_trailer;
  if (v == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return Payload::streaming_unsigned_trailer;
  if (v.size() == 64 && std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      }))
    return Payload::hashed;
  return std::nullopt;
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) out += static_cast<char>(c);
    else out += '%', out += hex[c >> 4], out += hex[c & 15];
  }
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  if (raw_path.empty()) return "/";
  std::string out;
  while (true) {
    size_t slash = raw_path.find('/');
    out += uri_encode(percent_decode(raw_path.substr(0, slash), false), false);
    if (slash == std::string_view::npos) break;
    out += '/';
    raw_path.remove_prefix(slash + 1);
  }
  return out;
}

std::string canonical_query(std::string_view raw_query, std::string_view skip) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view item = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = percent_decode(item.substr(0, eq), false);
    if (!skip.empty() && name == skip) continue;
    std::string value = eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1), false);
    pairs.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [n, v] : pairs) {
    if (!out.empty()) out += '&';
    out += n;
    out += '=';
    out += v;
  }
  return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = core::hmac_sha256("AWS4" + std::string(secret), date);
  k = core::hmac_sha256(k, region);
  k = core::hmac_sha256(k, service);
  return core::hmac_sha256(k, "aws4_request");
}

std::string hex_sha256(std::string_view data) { return core::to_hex(core::sha256(data)); }
std::string hex_hmac(std::string_view key, std::string_view data) { return core::to_hex(core::hmac_sha256(key, data)); }

Result<Auth> verify(const Request& req, const Credentials& creds, int64_t now_ms) {
  Parsed p;
  Auth a;
  const bool has_header = req.has_header("Authorization");
  const bool has_query = req.has_param("X-Amz-Algorithm") || req.has_param("X-Amz-Signature");
  if (has_header && has_query)
    return fail(Error(Code::S3_INVALID_REQUEST, "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                                                "parameter or the Authorization header should be specified"));
  if (!has_header && !has_query)
    return fail(Error(Code::S3_ACCESS_DENIED,
                      "Access Denied: the S3 endpoint needs SigV4-signed requests (access key \"" + creds.access_key +
                          "\" unless era-emu was started with --s3-access-key)"));
  std::string payload_value;
  if (has_header) {
    ERA_TRY(parse_header_form(req.get_header_value("Authorization"), p));
    p.amz_date = req.get_header_value("X-Amz-Date");
    if (p.amz_date.empty())
      return fail(Error(Code::S3_ACCESS_DENIED, "AWS authentication requires a valid Date or x-amz-date header"));
    payload_value = req.get_header_value("X-Amz-Content-Sha256");
    if (payload_value.empty())
      return fail(Error(Code::S3_INVALID_REQUEST, "Missing required header for this request: x-amz-content-sha256"));
  } else {
    a.presigned = true;
    for (const char* name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                             "X-Amz-SignedHeaders", "X-Amz-Signature"})
      if (!req.has_param(name))
        return fail(Error(Code::S3_AUTH_MALFORMED,
                          std::string("Query-string authentication requires the ") + name + " parameter"));
    if (req.get_param_value("X-Amz-Algorithm") != kAlgorithm)
      return fail(malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""));
    ERA_TRY(parse_credential(req.get_param_value("X-Amz-Credential"), p));
    ERA_TRY(parse_signed_headers(req.get_param_value("X-Amz-SignedHeaders"), p));
    p.signature = req.get_param_value("X-Amz-Signature");
    p.amz_date = req.get_param_value("X-Amz-Date");
    payload_value = req.has_param("X-Amz-Content-Sha256") ? req.get_param_value("X-Amz-Content-Sha256")
                                                            : "UNSIGNED-PAYLOAD";
  }
  auto when = parse_amz_date(p.amz_date);
  if (!when) return fail(malformed("X-Amz-Date must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z', not \"" +
                                   p.amz_date.substr(0, 40) + "\""));
  if (p.date != p.amz_date.substr(0, 8))
    return fail(malformed("the Credential's date " + p.date + " is not the date of X-Amz-Date " + p.amz_date));
  if (p.service != "s3") return fail(malformed("the Credential's service must be \"s3\", not \"" + p.service + "\""));
  if (p.region != "auto" && p.region != "us-east-1" && !p.region.empty())
    return fail(malformed("the Credential's region \"" + p.region + "\" is wrong; expecting \"auto\" (us-east-1 and "
                          "an empty region are accepted as aliases, as R2 does)"));
  if (p.access_key != creds.access_key)
    return fail(Error(Code::S3_INVALID_ACCESS_KEY,
                      "The AWS Access Key Id you provided does not exist in our records: \"" + p.access_key.substr(0, 64) +
                          "\" (this emulator's is set by --s3-access-key)")
                    .with_details({{"AWSAccessKeyId", p.access_key.substr(0, 128)}}));
  if (a.presigned) {
    int64_t expires = -1;
    std::string e = req.get_param_value("X-Amz-Expires");
    auto [ptr, ec] = std::from_chars(e.data(), e.data() + e.size(), expires);
    if (ec != std::errc() || ptr != e.data() + e.size() || expires < 1 || expires > kMaxPresignSeconds)
      return fail(malformed("X-Amz-Expires must be a number of seconds from 1 to 604800, not \"" + e.substr(0, 20) + "\""));
    int64_t expiry_ms = *when + expires * 1000;
    if (now_ms > expiry_ms)
      return fail(Error(Code::S3_ACCESS_DENIED, "Request has expired")
                      .with_details({{"X-Amz-Expires", expires},
                                     {"Expires", core::iso8601_ms(expiry_ms)},
                                     {"ServerTime", core::iso8601_ms(now_ms)}}));
  }
  auto payload = payload_of(payload_value);
  if (!payload)
    return fail(Error(Code::S3_INVALID_REQUEST, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                                                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], "
                                                "STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a SHA-256 hex digest"));
  a.payload = *payload;
  if (a.payload == Payload::hashed) a.content_sha256 = ascii_lower(payload_value);

  // The canonical request.
  std::string canonical = req.method;
  canonical += '\n';
  canonical += canonical_uri(path_of(req.target));
  canonical += '\n';
  canonical += canonical_query(query_of(req.target), a.presigned ? "X-Amz-Signature" : "");
  canonical += '\n';
  std::string signed_list;
  bool host_signed = false;
  for (const auto& name : p.signed_headers) {
    auto v = header_values(req, name);
    if (!v) return fail(malformed("SignedHeaders names \"" + name + "\", which the request does not carry"));
    canonical += name;
    canonical += ':';
    canonical += *v;
    canonical += '\n';
    if (!signed_list.empty()) signed_list += ';';
    signed_list += name;
    host_signed = host_signed || name == "host";
  }
  if (!host_signed) return fail(malformed("SignedHeaders must include host"));
  canonical += '\n';
  canonical += signed_list;
  canonical += '\n';
  canonical += payload_value;

  a.scope = p.date + "/" + p.region + "/s3/aws4_request";
  a.amz_date = p.amz_date;
  a.signing_key = signing_key(creds.secret_key, p.date, p.region);
  std::string sts = string_to_sign(p.amz_date, a.scope, canonical);
  std::string expected = hex_hmac(a.signing_key, sts);
  if (!core::constant_time_equal(expected, ascii_lower(p.signature)))
    return fail(Error(Code::S3_SIGNATURE_DOES_NOT_MATCH,
                      "The request signature we calculated does not match the signature you provided. "
                      "Check your key and signing method.")
                    .with_details({{"AWSAccessKeyId", p.access_key},
                                   {"StringToSign", sts},
                                   {"SignatureProvided", p.signature.substr(0, 128)},
                                   {"CanonicalRequest", canonical}}));
  a.seed_signature = expected;
  return a;
}

std::vector<std::pair<std::string, std::string>> sign_request(
    std::string_view method, std::string_view raw_target, std::vector<std::pair<std::string, std::string>> headers,
    std::string_view payload_hash, const Credentials& creds, std::string_view amz_date, std::string_view region) {
  headers.emplace_back("x-amz-date", std::string(amz_date));
  headers.emplace_back("x-amz-content-sha256", std::string(payload_hash));
  std::map<std::string, std::string> canon;
  for (const auto& [n, v] : headers) {
    std::string& slot = canon[ascii_lower(n)];
    if (!slot.empty()) slot += ',';
    slot += trim_collapse(v);
  }
  std::string canonical = std::string(method) + "\n" + canonical_uri(path_of(raw_target)) + "\n" +
                          canonical_query(query_of(raw_target)) + "\n";
  std::string list;
  for (const auto& [n, v] : canon) {
    canonical += n + ":" + v + "\n";
    list += (list.empty() ? "" : ";") + n;
  }
  canonical += "\n" + list + "\n" + std::string(payload_hash);
  std::string date(amz_date.substr(0, 8));
  std::string scope = date + "/" + std::string(region) + "/s3/aws4_request";
  std::string sig = hex_hmac(signing_key(creds.secret_key, date, region), string_to_sign(amz_date, scope, canonical));
  return {{"Authorization", std::string(kAlgorithm) + " Credential=" + creds.access_key + "/" + scope +
                                ", SignedHeaders=" + list + ", Signature=" + sig},
          {"X-Amz-Date", std::string(amz_date)},
          {"X-Amz-Content-Sha256", std::string(payload_hash)}};
}

}  // namespace era::api::s3
