#include "api/server.h"

#include <chrono>

#include "api/guard.h"
#include "api/json_io.h"
#include "api/routes.h"
#include "api/s3/config.h"
#include "api/s3/errors.h"
#include "core/crypto.h"
#include "core/log.h"
#include "products/catalog.h"

namespace era::api {
namespace {

bool is_legacy_storage_path(std::string_view path) { return path.starts_with("/api/storage/"); }

// Links made for browsers and for people without the token: public buckets and signed URLs.
bool is_link(std::string_view path) { return path.starts_with("/public/") || path.starts_with("/signed/"); }

// The S3-compatible endpoint: SigV4 is its authentication (api/s3/routes.cpp), errors are XML.
bool is_s3(std::string_view path) { return path == "/s3" || path.starts_with("/s3/"); }

// The web inspector's static files (and the redirects to them) hold no data: the page asks for
// the token and sends it with every call it makes.
bool is_ui(std::string_view path) { return path == "/" || path == "/_emu/ui" || path.starts_with("/_emu/ui/"); }

// Public-bucket and signed-URL routes carry their own authorization, S3 its signatures; the API
// token is not asked.
bool is_token_free(std::string_view path) {
  return path == "/_emu/health" || is_link(path) || is_s3(path) || is_ui(path);
}

// Errors before a route is chosen, in the protocol the path speaks.
void deny(const Request& req, Response& res, const Error& e) {
  if (is_s3(req.path)) return s3::send_error(req, res, e);
  send_error(res, e);
}

// /api/storage/{kv|r2}/{ns} with nothing after: the legacy proxy answers "Key required".
bool is_keyless_kv_or_r2(std::string_view path) {
  std::string_view rest = path.substr(std::string_view("/api/storage/").size());
  if (!rest.starts_with("kv/") && !rest.starts_with("r2/")) return false;
  rest.remove_prefix(3);
  return !rest.empty() && rest.find('/') == std::string_view::npos;
}

// "/public/{bucket}/...", "/s3/{bucket}/..." → bucket
std::string_view link_bucket(std::string_view path) {
  path.remove_prefix(path.find('/', 1) + 1);
  return path.substr(0, path.find('/'));
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void send_unrouted(const Request& req, Response& res, const std::vector<std::string>& allowed) {
  if (is_legacy_storage_path(req.path)) {
    if (!allowed.empty()) {
      if (is_keyless_kv_or_r2(req.path)) return send_error(res, Error(Code::KEY_REQUIRED, "Key required"));
      return send_error(res, Error(Code::METHOD_NOT_ALLOWED, "Method not allowed"));
    }
    return send_error(res, Error(Code::INVALID_PATH, "invalid storage path")
                               .with_details({{"format", "/api/storage/{kv|d1|r2}/{namespace}[/{key}]"}}));
  }
  if (!allowed.empty()) {
    std::string list = join(allowed);
    res.set_header("Allow", list);
    return send_error(res, Error(Code::METHOD_NOT_ALLOWED,
                                 req.method + " is not allowed on " + req.path + " (allowed: " + list + ")")
                               .with_details({{"allowed", allowed}}));
  }
  send_error(res, Error(Code::NOT_FOUND, "no route for " + req.method + " " + req.path));
}

// One request between admit() and handle().
struct PendingCall : HttpApp::Pending {
  PendingCall(const Request& req, Response& res) : call(req, res) {}
  Call call;
  Status decided;  // the guard's before(): an error is sent instead of running the handler
  std::string cors_origin;  // an allowed API origin to echo
  bool link_cors = false;   // a link (or S3 from a browser): the bucket's CORS rules answer
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

}  // namespace

Server::Server(Services services, HttpLimits limits) : services_(std::move(services)) {
  add_health_routes(router_, services_);
  if (services_.settings.control_enabled) add_control_routes(router_, services_);
  add_era_kv_routes(router_, services_);
  add_era_r2_routes(router_, services_);
  add_era_d1_routes(router_, services_);
  add_resources_routes(router_, services_);
  add_r2raw_routes(router_, services_);
  if (services_.signer) add_signed_routes(router_, services_);
  add_s3_routes(router_, services_);
  http_ = std::make_unique<HttpServer>(*this, limits);
}

Server::~Server() = default;

Result<int> Server::bind(const std::string& host, int port) {
  auto bound = http_->bind(host, port);
  if (!bound) return bound;
  if (services_.settings.public_url.empty()) {
    // Links the server hands out (signed URLs) must reach it: a wildcard bind is reached on loopback.
    std::string h = host == "0.0.0.0" || host.empty() ? "127.0.0.1" : host == "::" ? "::1" : host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    services_.settings.public_url = "http://" + h + ":" + std::to_string(*bound);
  }
  return bound;
}

void Server::serve() { http_->serve(); }

void Server::stop() { http_->stop(); }

void Server::refuse(Response& res, int status, const std::string& message) {
  Code code = status == 413   ? Code::PAYLOAD_TOO_LARGE
              : status == 431 ? Code::HEADERS_TOO_LARGE
              : status == 501 ? Code::NOT_IMPLEMENTED
              : status >= 500 ? Code::INTERNAL
                              : Code::BAD_REQUEST;
  send_error(res, Error(code, status, message));
}

HttpApp::Admission Server::admit(Request& req, Response& res) {
  const Settings& set = services_.settings;
  Admission a;
  // 1. who is asking
  if (auto e = check_host(req, set.boundary)) {
    deny(req, res, *e);
    return a;
  }
  bool link = is_link(req.path);
  std::string cors_origin;
  if (!link) {
    if (auto e = check_origin(req, set.boundary, cors_origin)) {
      // S3 answers a browser by its bucket's CORS rules, as R2 does: a request (or preflight)
      // from an origin no rule allows is refused before any work.
      const bool preflight = req.method == "OPTIONS" && req.has_header("Access-Control-Request-Method");
      std::string origin = req.get_header_value("Origin");
      bool allowed = false;
      if (is_s3(req.path) && req.path.size() > 4 && !origin.empty()) {
        auto rules = s3::bucket_cors(services_, link_bucket(req.path));
        allowed = preflight || match_cors(rules, origin, req.method, "") != nullptr;
      }
      if (!allowed) {
        deny(req, res, *e);
        return a;
      }
      link = true;  // from here on a bucket link: its CORS rules answer
    }
  }

  // 2. preflight and OPTIONS
  if (req.method == "OPTIONS") {
    if (req.has_header("Access-Control-Request-Method")) {
      if (!link) {
        answer_api_preflight(req, res, cors_origin.empty() ? req.get_header_value("Origin") : cors_origin);
        return a;
      }
      answer_link_preflight(req, res, s3::bucket_cors(services_, link_bucket(req.path)));
      return a;
    }
    auto m = router_.match("OPTIONS", req.path, req.params);
    if (m.allowed.empty()) {
      send_error(res, Error(Code::NOT_FOUND, "no route for OPTIONS " + req.path));
    } else {
      res.status = 204;
      res.set_header("Allow", join(m.allowed));
    }
    return a;
  }

  // 3. auth
  const std::string& token = set.token;
  if (!token.empty() && !is_token_free(req.path)) {
    std::string auth = req.get_header_value("Authorization");
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is compared in constant time.
    bool bearer = iequals(std::string_view(auth).substr(0, 7), "bearer ");
    if (!bearer || !core::constant_time_equal(auth.substr(7), token)) {
      deny(req, res, Error(Code::UNAUTHORIZED, "missing or wrong bearer token"));
      if (!cors_origin.empty()) add_api_cors(res, cors_origin);
      return a;
    }
  }

  // 4. route. S3 clients name a bucket as "/bucket/" too (an object key is never empty); the
  // signature covers the raw target, which keeps its slash.
  if (is_s3(req.path) && req.path.back() == '/' && (req.path == "/s3/" || req.path.find('/', 4) == req.path.size() - 1))
    req.path.pop_back();
  auto m = router_.match(req.method, req.path, req.params, &req.headers);
  if (!m.route) {
    if (is_s3(req.path)) {
      s3::send_error(req, res, Error(Code::S3_NOT_IMPLEMENTED, "A header or method you provided implies "
                                                                "functionality that is not implemented"));
      return a;
    }
    send_unrouted(req, res, m.allowed);
    if (!cors_origin.empty()) add_api_cors(res, cors_origin);
    return a;
  }
  auto p = std::make_unique<PendingCall>(req, res);
  p->call.route = m.route;
  p->call.service = m.route->service;
  p->call.op = m.op;
  p->call.params = std::move(m.params);
  p->call.ns = std::move(m.ns);
  p->call.key = std::move(m.key);
  p->cors_origin = std::move(cors_origin);
  p->link_cors = link;
  if (m.route->precheck) {
    if (Status st = m.route->precheck(p->call); !st) {
      send_call_error(p->call, st.error());
      res.close = true;  // the declared body is never read
      if (!p->cors_origin.empty()) add_api_cors(res, p->cors_origin);
      return a;
    }
  }

  // 5. body plan
  if (m.route->stream_body) {
    a.body = Admission::Body::stream;
  } else {
    a.body = Admission::Body::buffer;
    a.limit = m.route->body_limit ? m.route->body_limit : set.max_json_body;
  }
  a.quick = m.route->quick;
  a.pending = std::move(p);
  return a;
}

int64_t Server::hold_ms(Pending& pending, Request&, Response&) {
  auto& p = static_cast<PendingCall&>(pending);
  p.decided = services_.guard->before(p.call);
  return p.decided ? p.call.hold_ms : 0;
}

void Server::handle(Pending& pending, Request& req, Response& res, std::string&& body, const ContentReader* reader) {
  auto& p = static_cast<PendingCall&>(pending);
  Call& call = p.call;
  call.body = std::move(body);
  call.reader = reader;
  Status st = p.decided;
  if (st) st = services_.guard->enter(call);
  if (st) st = call.route->handler(call);
  if (!st) send_call_error(call, st.error());
  if (res.status == -1) res.status = 200;
  if (!p.cors_origin.empty()) add_api_cors(res, p.cors_origin);
  // A link answers browsers per its bucket's CORS rules, whatever the outcome.
  if (p.link_cors && req.has_header("Origin")) add_link_cors(req, res, s3::bucket_cors(services_, call.ns));
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - p.started).count();
  services_.guard->after(call, ms);
  body = std::move(call.body);  // the buffer back to the HTTP layer, for the next big body
}

}  // namespace era::api
