#include "api/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "api/guard.h"
#include "api/http_front.h"
#include "api/json_io.h"
#include "api/routes.h"
#include "core/crypto.h"
#include "core/log.h"

namespace era::api {
namespace {

bool is_legacy_storage_path(std::string_view path) { return path.starts_with("/api/storage/"); }

// Public-bucket and signed-URL routes carry their own authorization; the API token is not asked.
bool is_token_free(std::string_view path) {
  return path == "/_emu/health" || path.starts_with("/public/") || path.starts_with("/signed/");
}

// /api/storage/{kv|r2}/{ns} with nothing after: the legacy proxy answers "Key required".
bool is_keyless_kv_or_r2(std::string_view path) {
  std::string_view rest = path.substr(std::string_view("/api/storage/").size());
  if (!rest.starts_with("kv/") && !rest.starts_with("r2/")) return false;
  rest.remove_prefix(3);
  return !rest.empty() && rest.find('/') == std::string_view::npos;
}

void send_unrouted(const httplib::Request& req, httplib::Response& res,
                   const std::vector<std::string>& allowed) {
  if (is_legacy_storage_path(req.path)) {
    if (!allowed.empty()) {
      if (is_keyless_kv_or_r2(req.path))
        return send_error(res, Error(Code::KEY_REQUIRED, "Key required"));
      return send_error(res, Error(Code::METHOD_NOT_ALLOWED, "Method not allowed"));
    }
    return send_error(res, Error(Code::INVALID_PATH, "invalid storage path")
                               .with_details({{"format", "/api/storage/{kv|d1|r2}/{namespace}[/{key}]"}}));
  }
  if (!allowed.empty()) {
    std::string list;
    for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
    res.set_header("Allow", list);
    return send_error(res, Error(Code::METHOD_NOT_ALLOWED,
                                 req.method + " is not allowed on " + req.path + " (allowed: " + list + ")")
                               .with_details({{"allowed", allowed}}));
  }
  send_error(res, Error(Code::NOT_FOUND, "no route for " + req.method + " " + req.path));
}

}  // namespace

Server::Server(Services services, size_t threads)
    : services_(std::move(services)),
      http_(std::make_unique<HttpFront>([this](const httplib::Request& req, httplib::Response& res,
                                               const httplib::ContentReader* reader) {
        dispatch(req, res, reader);
      })) {
  add_health_routes(router_, services_);
  if (services_.settings.control_enabled) add_control_routes(router_, services_);
  add_era_kv_routes(router_, services_);
  add_era_r2_routes(router_, services_);
  add_era_d1_routes(router_, services_);
  add_resources_routes(router_, services_);
  add_r2raw_routes(router_, services_);
  if (services_.signer) add_signed_routes(router_, services_);

  // httplib binds, accepts and runs the worker pool; HttpFront serves each connection.
  auto& h = *http_;
  h.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  h.set_socket_options([this](int fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = fd;
  });
}

Server::~Server() = default;

Result<int> Server::bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = http_->bind_to_any_port(host);
    if (bound <= 0) return fail(Code::START_FAILED, "cannot bind " + host + " to any port");
  } else if (!http_->bind_to_port(host, port)) {
    return fail(Code::START_FAILED, "cannot listen on " + host + ":" + std::to_string(port) +
                                        ": address already in use or not available");
  }
  // httplib listens with a backlog of 5; a test suite opening many connections at once needs more.
  if (listen_fd_ >= 0) ::listen(listen_fd_, 1024);
  if (services_.settings.public_url.empty()) {
    // Links the server hands out (signed URLs) must reach it: a wildcard bind is reached on loopback.
    std::string h = host == "0.0.0.0" || host.empty() ? "127.0.0.1" : host == "::" ? "::1" : host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    services_.settings.public_url = "http://" + h + ":" + std::to_string(bound);
  }
  return bound;
}

void Server::serve() { http_->listen_after_bind(); }

bool Server::running() const { return http_->is_running(); }

void Server::stop() { http_->stop(); }

void Server::dispatch(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader* reader) {
  auto started = std::chrono::steady_clock::now();
  // 1. auth
  const std::string& token = services_.settings.token;
  if (!token.empty() && !is_token_free(req.path)) {
    std::string auth = req.get_header_value("Authorization");
    std::string expected = "Bearer " + token;
    if (!core::constant_time_equal(auth, expected))
      return send_error(res, Error(Code::UNAUTHORIZED, "missing or wrong bearer token"));
  }

  // 2. route
  if (req.method == "OPTIONS") {
    auto m = router_.match("OPTIONS", req.path);
    std::string allow;
    for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
    res.status = allow.empty() ? 404 : 204;
    if (!allow.empty()) res.set_header("Allow", allow);
    return;
  }
  auto m = router_.match(req.method, req.path);
  if (!m.route) return send_unrouted(req, res, m.allowed);

  Call call(req, res);
  call.route = m.route;
  call.params = std::move(m.params);

  // 3. body
  if (reader) {
    if (m.route->stream_body) {
      call.reader = reader;
    } else {
      size_t cap = services_.settings.max_json_body;
      bool too_large = false;
      (*reader)([&](const char* data, size_t n) {
        if (call.body.size() + n > cap) {
          too_large = true;
          return false;
        }
        call.body.append(data, n);
        return true;
      });
      if (too_large)
        return send_error(res, Error(Code::PAYLOAD_TOO_LARGE,
                                     "request body exceeds " + std::to_string(cap) + " bytes"));
    }
  }

  // 4. guard, 5. handler
  Status st = services_.guard->before(call);
  if (st) st = m.route->handler(call);
  if (!st) send_error(res, st.error());
  if (res.status == -1) res.status = 200;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  services_.guard->after(call, ms);
}

}  // namespace era::api
