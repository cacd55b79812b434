// /_emu/faults: install, list and remove fault rules (core/faults.h has the semantics).
#include "api/control/control.h"
#include "api/json_io.h"
#include "core/clock.h"
#include "core/faults.h"

namespace era::api {
namespace {

Status post_fault(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto rule = core::parse_fault_rule(*body, s.clock->now_ms());
  if (!rule) return fail(rule.error());
  auto added = s.faults->add(std::move(*rule));
  if (!added) return fail(added.error());
  send_json(c.res, 201, *added);
  return {};
}

Status get_fault(Services& s, Call& c) {
  for (auto& r : s.faults->list())
    if (r["id"] == c.params[0]) {
      send_json(c.res, 200, r);
      return {};
    }
  return fail(Error(Code::FAULT_NOT_FOUND, "no fault rule with id \"" + c.params[0] + "\""));
}

Status delete_fault(Services& s, Call& c) {
  if (!s.faults->remove(c.params[0]))
    return fail(Error(Code::FAULT_NOT_FOUND, "no fault rule with id \"" + c.params[0] + "\""));
  send_json(c.res, 200, {{"deleted", c.params[0]}});
  return {};
}

}  // namespace

void add_fault_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/faults", Service::control, Op::control,
        [&s](Call& c) -> Status {
          send_json(c.res, 200, {{"faults", s.faults->list()}});
          return {};
        },
        "Fault rules in evaluation order, with matched / fired / remaining")
      .quick = true;
  r.add("POST", "/_emu/faults", Service::control, Op::control,
        [&s](Call& c) { return post_fault(s, c); },
        "Add a rule {service, op, namespace, key, location, client, action|sequence, probability, "
        "seed, after, times, active_for} -> 201 with its id");
  r.add("DELETE", "/_emu/faults", Service::control, Op::control,
        [&s](Call& c) -> Status {
          send_json(c.res, 200, {{"cleared", s.faults->clear()}});
          return {};
        },
        "Remove every rule");
  r.add("GET", "/_emu/faults/{id}", Service::control, Op::control,
        [&s](Call& c) { return get_fault(s, c); }, "One rule with its bookkeeping");
  r.add("DELETE", "/_emu/faults/{id}", Service::control, Op::control,
        [&s](Call& c) { return delete_fault(s, c); }, "Remove one rule");
}

}  // namespace era::api
