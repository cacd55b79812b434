#pragma once
// One route table carries method, path pattern, service and op for every endpoint; fault rules,
// events, 404-vs-405 and the route docs all read the same rows.
//
// Patterns are matched segment by segment against the percent-decoded path:
//   "/api/storage/kv/{ns}/{key+}"   {name} = one non-empty segment, {name+} = the non-empty rest
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "core/op_context.h"
#include "core/ops.h"
#include "core/result.h"

namespace era::api {

struct Route;

// Everything a handler gets. The body is already read unless the route streams it.
struct Call {
  Call(const httplib::Request& rq, httplib::Response& rs) : req(rq), res(rs) {}
  const httplib::Request& req;
  httplib::Response& res;
  const httplib::ContentReader* reader = nullptr;  // only for routes with stream_body
  const Route* route = nullptr;
  std::vector<std::string> params;  // pattern captures, in order
  std::string body;
  OpContext ctx;
  // Filled by handlers for the event log: the namespace and key the call touched.
  std::string ns;
  std::string key;
  // Owned by the guard from before() to after() (reset lock, fault decision); released with
  // the call even if the handler throws.
  std::shared_ptr<void> guard_state;

  std::string query(const std::string& name) const {
    return req.has_param(name) ? req.get_param_value(name) : std::string();
  }
  bool has_query(const std::string& name) const { return req.has_param(name); }
};

using Handler = std::function<Status(Call&)>;

struct Route {
  std::string method;   // GET, HEAD, PUT, POST, DELETE, PATCH
  std::string pattern;
  Service service;
  Op op;
  Handler handler;
  bool stream_body = false;  // handler reads the body itself through call.reader
  std::string summary;       // one line for generated docs

  struct Segment {
    std::string literal;  // empty for captures
    bool capture = false;
    bool rest = false;
  };
  std::vector<Segment> segments;  // compiled by Router::add
};

class Router {
 public:
  void add(Route route);
  void add(std::string method, std::string pattern, Service service, Op op, Handler handler,
           std::string summary, bool stream_body = false) {
    Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.service = service;
    r.op = op;
    r.handler = std::move(handler);
    r.summary = std::move(summary);
    r.stream_body = stream_body;
    add(std::move(r));
  }

  struct Match {
    const Route* route = nullptr;
    std::vector<std::string> params;
    std::vector<std::string> allowed;  // methods that would match when route is null
  };
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool match_route(const Route& r, std::string_view path, std::vector<std::string>& out);
  std::vector<Route> routes_;
};

}  // namespace era::api
