#include "api/guard.h"

#include <optional>

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
  ~State() {
    if (lock) lock->unlock_shared();
  }
};

std::string default_message(const core::FaultDecision& d) {
  if (!d.action.message.empty()) return d.action.message;
  std::string t(FaultAction::type_name(d.action.type));
  if (d.action.type == Type::lost_ack)
    return "injected lost_ack (rule " + d.rule_id + "): the operation was applied but its "
           "acknowledgement was lost";
  return "injected " + t + " (fault rule " + d.rule_id + ")";
}

// The error a fault answers with, in the route's protocol: the rule's own code when it names one.
void send_fault(Call& call, const core::FaultDecision& d, int status, Code fallback) {
  if (call.route && call.route->render_error) {
    Error e(fallback, status, default_message(d));
    e.details = {{"fault", d.rule_id}};
    if (!d.action.code.empty()) e.details["code"] = d.action.code;
    return call.route->render_error(call.req, call.res, e);
  }
  json body = {{"error", default_message(d)},
               {"code", d.action.code.empty() ? std::string(to_string(fallback)) : d.action.code},
               {"fault", d.rule_id}};
  send_json(call.res, status, body);
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


}  // namespace

Status Guard::before(Call& call) {
  call.ctx.now_ms = clock_.now_ms();
  std::string loc = call.req.get_header_value("X-Era-Location");
  call.ctx.location = loc.empty() ? "local" : loc;
  if (call.service == Service::control) return {};

  auto state = std::make_shared<State>();
  call.guard_state = state;
  if (catalog_)
    if (const auto* catalog = catalog_->get(); catalog->strict) ERA_TRY(check_declared(*catalog, call.service, call.ns));

  if (faults_ && !faults_->empty()) {
    core::FaultQuery q;
    q.service = to_string(call.service);
    q.op = to_string(call.op);
    q.ns = call.ns;
    q.key = call.key;
    q.location = call.ctx.location;
    std::string client = call.req.get_header_value("X-Era-Client");
    q.client = client;
    q.now_ms = call.ctx.now_ms;
    state->fault = faults_->decide(q);
  }
  if (state->fault) {
    const core::FaultDecision& d = *state->fault;
    const FaultAction& a = d.action;
    switch (a.type) {
      case Type::error:
        return fail(Error(Code::INJECTED, a.status ? a.status : 503, default_message(d)));
      case Type::throttle:
        call.res.set_header("Retry-After", std::to_string(a.retry_after_s));
        return fail(Error(Code::THROTTLED, a.status ? a.status : 429, default_message(d)));
      // Held on a timer by the server, not on a thread, before enter().
      case Type::latency: call.hold_ms = a.ms + d.extra_delay_ms; break;
      case Type::timeout: call.hold_ms = a.hold_ms; break;
      case Type::stale: call.ctx.stale = true; break;
      default: break;
    }
  }
  return {};
}

Status Guard::enter(Call& call) {
  auto state = std::static_pointer_cast<State>(call.guard_state);
  if (!state) return {};  // control routes
  if (state->fault) {
    const core::FaultDecision& d = *state->fault;
    const FaultAction& a = d.action;
    if (a.type == Type::timeout) return fail(Error(Code::INJECTED, a.status ? a.status : 504, default_message(d)));
    if (a.type == Type::reset) {
      call.res.abort = true;  // no response byte: the connection is dropped
      return fail(Error(Code::INJECTED, 503, default_message(d)));
    }
  }
  // The reset lock is taken after any hold, so a held request never delays a reset.
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
      case Type::error: send_fault(call, *fault, a.status ? a.status : 503, Code::INJECTED); break;
      case Type::throttle: send_fault(call, *fault, a.status ? a.status : 429, Code::THROTTLED); break;
      case Type::timeout: send_fault(call, *fault, a.status ? a.status : 504, Code::INJECTED); break;
      case Type::lost_ack:
        if (call.res.status < 400) send_fault(call, *fault, a.status ? a.status : 503, Code::INJECTED);
        break;
      case Type::truncate:
        call.res.truncate_after = uint64_t(a.after_bytes);
        call.res.close = true;
        break;
      default: break;
    }
  }

  if (!events_) return;
  const Route& r = *call.route;
  if (r.service == Service::control && (call.req.method == "GET" || call.req.method == "HEAD")) return;
  core::Event e;
  e.time_ms = call.ctx.now_ms;
  e.service = std::string(to_string(r.service));
  e.op = std::string(to_string(call.op));
  e.ns = call.ns;
  e.key = call.key;
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
