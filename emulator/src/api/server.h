#pragma once
// The HTTP front door. Request pipeline, top to bottom (server.cpp reads in the same order):
//   1. auth: Bearer token when one is configured (health is always open);
//   2. route lookup: 404 / 405 / the legacy "invalid storage path" 400;
//   3. body: read into memory with a cap, unless the route streams it;
//   4. guard: clock read, faults, event log;
//   5. handler → response; an era::Error becomes {"error","code"} with its status;
//   6. last net: an escaped exception is a logged 500 INTERNAL, never a crash.
#include <memory>
#include <string>

#include "api/router.h"
#include "api/services.h"

namespace httplib { class Server; }

namespace era::api {

class Server {
 public:
  Server(Services services, size_t threads);
  ~Server();

  // Binds and listens (connections queue from here on). Returns the bound port.
  Result<int> bind(const std::string& host, int port);
  // Serves until stop(); returns after in-flight requests have finished.
  void serve();
  // True once serve() has entered its accept loop; stop() before that would be lost.
  bool running() const;
  void stop();
  const Router& router() const { return router_; }

 private:
  void dispatch(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* reader);
  Services services_;
  Router router_;
  std::unique_ptr<httplib::Server> http_;
  int listen_fd_ = -1;
};

}  // namespace era::api
