#include "api/guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <mutex>
#include <thread>

#include "admin/state_lock.h"
#include "api/json_io.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/faults.h"
#include "core/names.h"
#include "products/catalog.h"

namespace era::api {
namespace {

using core::FaultAction;
using Type = FaultAction::Type;

// What before() leaves for after(), owned by the call.
struct State {
  admin::StateLock* lock = nullptr;  // held shared while non-null
  std::optional<core::FaultDecision> fault;
  std::string ns, key;  // from the route captures, for rules and events
  ~State() {
    if (lock) lock->unlock_shared();
  }
};

// The namespace and key a call addresses, from the route's named captures ({ns}/{bucket},
// {key}/{key+}); handlers may refine them later through call.ns / call.key.
void route_target(const Call& call, std::string& ns, std::string& key) {
  std::string_view p = call.route->pattern;
  size_t idx = 0;
  while (!p.empty()) {
    size_t open = p.find('{');
    if (open == std::string_view::npos) break;
    size_t close = p.find('}', open);
    if (close == std::string_view::npos) break;
    std::string_view name = p.substr(open + 1, close - open - 1);
    if (name.ends_with('+')) name.remove_suffix(1);
    if (idx < call.params.size()) {
      if (name == "ns" || name == "bucket" || name == "namespace") ns = call.params[idx];
      else if (name == "key") key = call.params[idx];
    }
    ++idx;
    p.remove_prefix(close + 1);
  }
}

void ignore_sigpipe() {
  // A client that hangs up (a reset or timeout fault, a client-side timeout) must not kill the
  // process when httplib then writes: SIGPIPE off, writes fail with EPIPE instead.
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  });
}

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// httplib 0.11.4 gives handlers no socket, and always writes a status line before any body.
// To drop a connection before a single response byte, find the accepted socket by its port
// pair in /proc/self/fd, then shut it down with SO_LINGER 0 (httplib's later close sends RST;
// its write of the response fails with EPIPE). Returns false when the socket was not found.
bool drop_connection(const httplib::Request& req) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::string name = entry.path().filename().string();
    int fd = -1;
    auto [ptr, e] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (e != std::errc() || fd < 0) continue;
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local {}, peer {};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    if (port_of(local) != req.local_port || port_of(peer) != req.remote_port) continue;
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    shutdown(fd, SHUT_RDWR);
    return true;
  }
  return false;
}

// The client sees the full Content-Length but only `after` bytes, then the connection closes
// (a content provider that returns false makes httplib abort the response).
void truncate_response(httplib::Response& res, size_t after) {
  if (res.content_provider_) {
    if (!res.is_chunked_content_provider_ && res.content_length_ <= after) return;
    auto inner = std::move(res.content_provider_);
    res.content_provider_ = [inner, after](size_t offset, size_t length, httplib::DataSink& sink) {
      if (offset >= after) return false;
      return inner(offset, std::min(length, after - offset), sink);
    };
    return;
  }
  if (res.body.size() <= after) return;
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  std::string ctype = res.get_header_value("Content-Type");
  res.set_content_provider(body->size(), ctype,
                           [body, after](size_t offset, size_t length, httplib::DataSink& sink) {
                             if (offset >= after) return false;
                             sink.write(body->data() + offset, std::min(length, after - offset));
                             return true;
                           });
}

std::string default_message(const core::FaultDecision& d) {
  if (!d.action.message.empty()) return d.action.message;
  std::string t(FaultAction::type_name(d.action.type));
  if (d.action.type == Type::lost_ack)
    return "injected lost_ack (rule " + d.rule_id + "): the operation was applied but its "
           "acknowledgement was lost";
  return "injected " + t + " (fault rule " + d.rule_id + ")";
}

// The error body a fault answers with: the rule's own code when it names one.
void send_fault(httplib::Response& res, const core::FaultDecision& d, int status, Code fallback) {
  json body = {{"error", default_message(d)},
               {"code", d.action.code.empty() ? std::string(to_string(fallback)) : d.action.code},
               {"fault", d.rule_id}};
  send_json(res, status, body);
}

// --strict: the namespace a storage call names must be declared in era-emu.json.
Status check_declared(const products::Catalog& catalog, Service service, const std::string& ns) {
  if (ns.empty() || (service != Service::kv && service != Service::r2 && service != Service::d1)) return {};
  std::string_view svc = to_string(service);
  if (!core::is_valid_name(ns) || catalog.allows(svc, ns)) return {};  // bad names: the handler's 400
  std::string_view what = service == Service::kv ? "KV namespace" : service == Service::r2 ? "R2 bucket" : "D1 database";
  std::string_view section = service == Service::kv ? "kv" : service == Service::r2 ? "buckets" : "d1";
  std::string where = catalog.source.empty() ? std::string("era-emu.json") : catalog.source;
  return fail(Error(Code::NOT_DECLARED, std::string(what) + " \"" + ns + "\" is not declared in " + where +
                                            " and --strict is on: add {\"name\": \"" + ns + "\"} to \"" +
                                            std::string(section) + "\" or start without --strict")
                  .with_details({{"service", svc}, {"name", ns}, {"config", where}}));
}

void sleep_ms(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

Status Guard::before(Call& call) {
  call.ctx.now_ms = clock_.now_ms();
  std::string loc = call.req.get_header_value("X-Era-Location");
  call.ctx.location = loc.empty() ? "local" : loc;
  if (call.route->service == Service::control) return {};

  auto state = std::make_shared<State>();
  route_target(call, state->ns, state->key);
  call.guard_state = state;
  if (catalog_ && catalog_->strict) ERA_TRY(check_declared(*catalog_, call.route->service, state->ns));

  if (faults_ && !faults_->empty()) {
    core::FaultQuery q;
    q.service = to_string(call.route->service);
    q.op = to_string(call.route->op);
    q.ns = state->ns;
    q.key = state->key;
    q.location = call.ctx.location;
    std::string client = call.req.get_header_value("X-Era-Client");
    q.client = client;
    q.now_ms = call.ctx.now_ms;
    state->fault = faults_->decide(q);
  }
  // Sleeps and refusals happen before the reset lock is taken, so a held request never delays
  // a reset.
  if (state->fault) {
    const core::FaultDecision& d = *state->fault;
    const FaultAction& a = d.action;
    switch (a.type) {
      case Type::error:
        return fail(Error(Code::INJECTED, a.status ? a.status : 503, default_message(d)));
      case Type::throttle:
        call.res.set_header("Retry-After", std::to_string(a.retry_after_s));
        return fail(Error(Code::THROTTLED, a.status ? a.status : 429, default_message(d)));
      case Type::latency: sleep_ms(a.ms + d.extra_delay_ms); break;
      case Type::timeout:
        sleep_ms(a.hold_ms);
        return fail(Error(Code::INJECTED, a.status ? a.status : 504, default_message(d)));
      case Type::reset:
        ignore_sigpipe();
        if (!drop_connection(call.req)) truncate_response(call.res, 0);
        return fail(Error(Code::INJECTED, 503, default_message(d)));
      case Type::stale: call.ctx.stale = true; break;
      case Type::truncate:
      case Type::lost_ack:
      case Type::ok: break;
    }
  }
  if (lock_) {
    lock_->lock_shared();
    state->lock = lock_;
  }
  return {};
}

void Guard::after(Call& call, double duration_ms) {
  auto state = std::static_pointer_cast<State>(call.guard_state);
  if (state && state->lock) {  // the engines are done: let a waiting reset in
    state->lock->unlock_shared();
    state->lock = nullptr;
  }
  const core::FaultDecision* fault = state && state->fault ? &*state->fault : nullptr;
  if (fault) {
    const FaultAction& a = fault->action;
    switch (a.type) {
      case Type::error: send_fault(call.res, *fault, a.status ? a.status : 503, Code::INJECTED); break;
      case Type::throttle: send_fault(call.res, *fault, a.status ? a.status : 429, Code::THROTTLED); break;
      case Type::timeout: send_fault(call.res, *fault, a.status ? a.status : 504, Code::INJECTED); break;
      case Type::lost_ack:
        if (call.res.status < 400) send_fault(call.res, *fault, a.status ? a.status : 503, Code::INJECTED);
        break;
      case Type::truncate:
        ignore_sigpipe();
        call.res.set_header("Connection", "close");
        truncate_response(call.res, size_t(a.after_bytes));
        break;
      case Type::reset: call.res.set_header("Connection", "close"); break;
      default: break;
    }
  }

  if (!events_) return;
  const Route& r = *call.route;
  if (r.service == Service::control && (call.req.method == "GET" || call.req.method == "HEAD")) return;
  core::Event e;
  e.time_ms = call.ctx.now_ms;
  e.service = std::string(to_string(r.service));
  e.op = std::string(to_string(r.op));
  e.ns = !call.ns.empty() || !state ? call.ns : state->ns;
  e.key = !call.key.empty() || !state ? call.key : state->key;
  if (r.service == Service::control) e.key = call.req.method + " " + call.req.path;
  e.status = fault && fault->action.type == Type::reset ? 0 : call.res.status;
  e.duration_ms = duration_ms;
  if (fault && fault->action.type != Type::ok) {
    e.fault = fault->rule_id;
    e.fault_type = std::string(FaultAction::type_name(fault->action.type));
  }
  e.client = call.req.get_header_value("X-Era-Client");
  events_->record(std::move(e));
}

}  // namespace era::api
