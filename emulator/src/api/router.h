#pragma once
// One route table carries method, path pattern, query condition, service and op for every
// endpoint; the guard's fault rules, the event log, 404-vs-405, the docs and the op-coverage test
// all read the same rows. The router yields the complete target of a request — route (so service
// and op), path captures — from method, path and query, before anything else runs.
//
// Patterns are matched segment by segment against the percent-decoded path:
//   "/api/storage/kv/{ns}/{key+}"   {name} = one non-empty segment, {name+} = the non-empty rest
// and may end in a query condition, "?uploadId&partNumber": the row matches only when each named
// parameter is present. Rows are tried in order, so a conditional row stands before the plain one.
// HEAD matches a HEAD row, else the GET row of the same path; on KV and R2 rows its op is then
// `head`, so head fault rules and events name it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/op_context.h"
#include "core/ops.h"
#include "core/result.h"

namespace era::api {

struct Route;

// Everything a handler gets. The body is already read unless the route streams it.
struct Call {
  Call(const Request& rq, Response& rs) : req(rq), res(rs) {}
  const Request& req;
  Response& res;
  const ContentReader* reader = nullptr;  // only for routes with stream_body
  const Route* route = nullptr;
  // The complete target, named by the router before anything runs: fault rules and the event
  // log read these (op differs from route->op for a HEAD served by a GET row: head).
  Service service = Service::control;
  Op op = Op::control;
  std::vector<std::string> params;  // pattern captures, in order
  std::string body;
  OpContext ctx;
  int64_t hold_ms = 0;  // set by the guard: hold the request this long before it runs
  // The namespace and key the call touches: from the route's {ns}/{bucket} and {key} captures,
  // refined by handlers where the target lives in the body. Fault rules and events read them.
  std::string ns;
  std::string key;
  // Owned by the guard from before() to after() (reset lock, fault decision); released with
  // the call even if the handler throws.
  std::shared_ptr<void> guard_state;
  // A protocol's own per-request state, from its precheck to its handler (S3: the verified
  // signature the body's chunk signatures chain from).
  std::shared_ptr<void> proto_state;

  std::string query(const std::string& name) const { return req.get_param_value(name); }
  bool has_query(const std::string& name) const { return req.has_param(name); }
};

using Handler = std::function<Status(Call&)>;
// How a protocol spells an error (S3: its XML document); null = {"error","code"} JSON.
using ErrorRenderer = void (*)(const Request& req, Response& res, const Error& e);

struct Route {
  std::string method;   // GET, HEAD, PUT, POST, DELETE
  std::string pattern;  // path pattern, with its query condition when it has one
  Service service;
  Op op;
  Handler handler;
  bool stream_body = false;  // handler reads the body itself through call.reader
  uint64_t body_limit = 0;   // buffered body: most bytes (0 = Settings::max_json_body)
  // Runs at admission, from the head alone, before any body byte is read (must not block): a
  // refusal here (a declared length over a bucket's limit) answers at once and closes.
  Handler precheck;
  // The handler never blocks (no disk sync, no lock held across I/O, no unbounded work): it
  // runs on the event-loop thread that read the request, with no hand-off. Every other handler
  // runs on the `--threads` pool, so a slow one never holds up another connection.
  bool quick = false;
  std::string summary;       // one line for generated docs
  // The row matches only when the request carries this header (S3's CopyObject is a PUT with
  // x-amz-copy-source): the op is still named from the request head alone.
  std::string needs_header;
  ErrorRenderer render_error = nullptr;

  struct Segment {
    std::string literal;  // empty for captures
    bool capture = false;
    bool rest = false;
    std::string name;     // capture name, without braces and '+'
  };
  std::vector<Segment> segments;       // compiled by Router::add
  std::vector<std::string> needs;      // query parameters that must be present
};

class Router {
 public:
  // Returns the added row, for flags the arguments do not carry (`.quick = true`).
  Route& add(Route route);
  Route& add(std::string method, std::string pattern, Service service, Op op, Handler handler,
           std::string summary, bool stream_body = false, Handler precheck = {}) {
    Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.service = service;
    r.op = op;
    r.handler = std::move(handler);
    r.summary = std::move(summary);
    r.stream_body = stream_body;
    r.precheck = std::move(precheck);
    return add(std::move(r));
  }

  struct Match {
    const Route* route = nullptr;
    Op op = Op::control;  // route->op, or head for a HEAD served by a KV/R2 GET row
    std::vector<std::string> params;
    std::vector<std::string> allowed;  // methods that would match when route is null
    // From the captures named ns/bucket/namespace and key.
    std::string ns, key;
  };
  // Rows with needs_header match only when `headers` is given and carries it.
  Match match(std::string_view method, std::string_view path, const Params& query,
              const Headers* headers = nullptr) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Captures;
  static bool match_path(const Route& r, std::string_view path, Captures& out);
  std::vector<Route> routes_;
};

// The call's error in its route's protocol (render_error, else JSON).
void send_call_error(Call& c, const Error& e);

}  // namespace era::api
