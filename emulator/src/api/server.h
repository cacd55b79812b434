#pragma once
// The HTTP application: what happens to a request between the wire and a handler. In order
// (server.cpp reads the same way):
//   1. Host check (DNS rebinding) and, for the API routes, the Origin check — before any body;
//   2. CORS preflight (OPTIONS) for allowed origins and for bucket links;
//   3. auth: Bearer token when one is configured (health, /public/ and /signed/ are open);
//   4. route: the router names service, op, namespace and key from method, path and query;
//      404 / 405 / the legacy "invalid storage path" 400 otherwise;
//   5. body: the route's limit is checked against Content-Length before a byte is read, then
//      the body is read (or left for the handler to stream);
//   6. guard: clock read, strict declarations, fault decision; a latency/timeout fault holds
//      the request on a timer; then the reset lock and the handler;
//   7. handler → response; an era::Error becomes {"error","code"} with its status; the event log.
// api::HttpServer (Beast) does the bytes; this class never sees a socket.
#include <memory>
#include <string>

#include "api/boundary.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/services.h"

namespace era::api {

class Server : public HttpApp {
 public:
  Server(Services services, HttpLimits limits);
  ~Server() override;

  // Binds and listens (connections queue from here on). Returns the bound port.
  Result<int> bind(const std::string& host, int port);
  // Serves until stop(); returns after in-flight requests have finished.
  void serve();
  void stop();
  const Router& router() const { return router_; }

 private:
  Admission admit(Request& req, Response& res) override;
  int64_t hold_ms(Pending& p, Request& req, Response& res) override;
  void handle(Pending& p, Request& req, Response& res, std::string&& body, const ContentReader* reader) override;
  void refuse(Response& res, int status, const std::string& message) override;

  Services services_;
  Router router_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace era::api
