#include "api/boundary.h"

#include <arpa/inet.h>

#include <algorithm>

#include "api/json_io.h"

namespace era::api {
namespace {

bool contains_ci(const std::vector<std::string>& list, std::string_view v) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& x) { return iequals(x, v); });
}

bool is_ip_literal(std::string_view host) {
  char buf[sizeof(in6_addr)];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return inet_pton(AF_INET6, std::string(host.substr(1, host.size() - 2)).c_str(), buf) == 1;
  return inet_pton(AF_INET, std::string(host).c_str(), buf) == 1;
}

// "http://localhost:3000" → "localhost:3000"; empty when not an http(s) origin.
std::string_view origin_authority(std::string_view origin) {
  if (origin.starts_with("http://")) return origin.substr(7);
  if (origin.starts_with("https://")) return origin.substr(8);
  return {};
}

// Exact, "*", or one '*' wildcard ("https://*.example.com").
bool origin_matches(std::string_view pattern, std::string_view origin) {
  if (pattern == "*") return true;
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return iequals(pattern, origin);
  std::string_view pre = pattern.substr(0, star), post = pattern.substr(star + 1);
  return origin.size() >= pre.size() + post.size() && iequals(origin.substr(0, pre.size()), pre) &&
         iequals(origin.substr(origin.size() - post.size()), post);
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view t = s.substr(0, comma);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (!t.empty()) out.push_back(ascii_lower(t));
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Error origin_refused(std::string_view what) {
  return Error(Code::ORIGIN_NOT_ALLOWED,
               std::string(what) + ": era-emu refuses browser requests from other origins to its API "
               "(a web page must not drive your emulator); allow an origin with --cors-origin ORIGIN")
      .with_details({{"fix", "--cors-origin http://localhost:3000"}});
}

}  // namespace

std::string host_of(std::string_view h) {
  std::string_view host = h;
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(0, close + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out = ascii_lower(host);
  if (out.ends_with('.')) out.pop_back();
  return out;
}

std::optional<Error> check_host(const Request& req, const BoundaryPolicy& policy) {
  if (!req.has_header("Host")) {
    if (req.version == "HTTP/1.0") return std::nullopt;
    return Error(Code::BAD_REQUEST, "an HTTP/1.1 request needs a Host header");
  }
  std::string host = host_of(req.get_header_value("Host"));
  if (host.empty()) return Error(Code::BAD_REQUEST, "empty Host header");
  if (is_ip_literal(host) || host == "localhost" || host.ends_with(".localhost")) return std::nullopt;
  if (contains_ci(policy.allowed_hosts, "*") || contains_ci(policy.allowed_hosts, host)) return std::nullopt;
  return Error(Code::HOST_NOT_ALLOWED,
               "Host \"" + host.substr(0, 100) + "\" is not this server's; era-emu answers requests for "
               "localhost and IP addresses only, so a web page cannot reach it by DNS rebinding. "
               "Start with --allow-host " + host.substr(0, 100) + " to serve this name")
      .with_details({{"host", host.substr(0, 100)}});
}

std::optional<Error> check_origin(const Request& req, const BoundaryPolicy& policy, std::string& cors_origin) {
  cors_origin.clear();
  std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    std::string_view auth = origin_authority(origin);
    bool same = !auth.empty() && iequals(auth, req.get_header_value("Host"));
    if (same) return std::nullopt;
    if (std::any_of(policy.cors_origins.begin(), policy.cors_origins.end(),
                    [&](const std::string& p) { return origin_matches(p, origin); })) {
      cors_origin = origin;
      return std::nullopt;
    }
    return origin_refused("Origin \"" + origin.substr(0, 100) + "\" is not allowed");
  }
  if (iequals(req.get_header_value("Sec-Fetch-Site"), "cross-site"))
    return origin_refused("a cross-site browser request (Sec-Fetch-Site: cross-site)");
  return std::nullopt;
}

void add_api_cors(Response& res, const std::string& origin) {
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "ETag, Content-Range, X-Era-Version, Retry-After");
}

void answer_api_preflight(const Request& req, Response& res, const std::string& origin) {
  add_api_cors(res, origin);
  res.set_header("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE");
  std::string asked = req.get_header_value("Access-Control-Request-Headers");
  if (!asked.empty()) res.set_header("Access-Control-Allow-Headers", asked);
  res.set_header("Access-Control-Max-Age", "600");
  res.status = 204;
}

const products::CorsRule* match_cors(const std::vector<products::CorsRule>& rules, std::string_view origin,
                                     std::string_view method, std::string_view request_headers) {
  auto wanted = split_list(request_headers);
  for (const auto& r : rules) {
    if (!std::any_of(r.origins.begin(), r.origins.end(), [&](const std::string& p) { return origin_matches(p, origin); }))
      continue;
    if (!contains_ci(r.methods, method)) continue;
    bool any = contains_ci(r.headers, "*");
    if (!any && !std::all_of(wanted.begin(), wanted.end(), [&](const std::string& h) { return contains_ci(r.headers, h); }))
      continue;
    return &r;
  }
  return nullptr;
}

void answer_link_preflight(const Request& req, Response& res, const std::vector<products::CorsRule>& rules) {
  std::string origin = req.get_header_value("Origin");
  std::string method = req.get_header_value("Access-Control-Request-Method");
  std::string headers = req.get_header_value("Access-Control-Request-Headers");
  const products::CorsRule* r = origin.empty() || method.empty() ? nullptr : match_cors(rules, origin, method, headers);
  if (!r) {
    return send_error(res, Error(Code::ORIGIN_NOT_ALLOWED,
                                 "CORS preflight refused: no \"cors\" rule of this bucket allows origin \"" +
                                     origin.substr(0, 100) + "\", method \"" + method.substr(0, 20) +
                                     "\" and these request headers")
                               .with_details({{"origin", origin.substr(0, 100)}, {"method", method.substr(0, 20)}}));
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Allow-Methods", join(r->methods));
  if (!headers.empty()) res.set_header("Access-Control-Allow-Headers", headers);
  if (r->max_age_seconds) res.set_header("Access-Control-Max-Age", std::to_string(*r->max_age_seconds));
  if (!r->expose.empty()) res.set_header("Access-Control-Expose-Headers", join(r->expose));
}

void add_link_cors(const Request& req, Response& res, const std::vector<products::CorsRule>& rules) {
  std::string origin = req.get_header_value("Origin");
  if (origin.empty()) return;
  std::string method = req.method == "HEAD" ? "HEAD" : req.method;
  const products::CorsRule* r = match_cors(rules, origin, method, "");
  if (!r) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  if (!r->expose.empty()) res.set_header("Access-Control-Expose-Headers", join(r->expose));
}

}  // namespace era::api
