// POST /_emu/reset: empty the emulator (or one service / namespace) without a restart.
#include "admin/admin.h"
#include "api/control/control.h"
#include "api/json_io.h"

namespace era::api {
namespace {

Result<bool> flag(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean())
    return fail(Error(Code::INVALID_BODY, std::string("\"") + name + "\" must be true or false")
                    .with_details({{"field", name}}));
  return it->get<bool>();
}

Status post_reset(Services& s, Call& c) {
  json body = json::object();
  if (!c.body.empty()) {
    auto parsed = parse_object(c.body);
    if (!parsed) return fail(parsed.error());
    body = std::move(*parsed);
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (k != "service" && k != "namespace" && k != "keep_faults" && k != "keep_clock" && k != "keep_events")
      return fail(Error(Code::INVALID_BODY, "unknown field \"" + k + "\" (use service, namespace, "
                                            "keep_faults, keep_clock, keep_events)")
                      .with_details({{"field", k}}));
  }
  admin::ResetRequest req;
  for (auto [field, out] : {std::pair{"service", &req.service}, std::pair{"namespace", &req.ns}}) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string())
      return fail(Error(Code::INVALID_BODY, std::string("\"") + field + "\" must be a string")
                      .with_details({{"field", field}}));
    *out = it->get<std::string>();
  }
  auto kf = flag(body, "keep_faults");
  if (!kf) return fail(kf.error());
  auto kc = flag(body, "keep_clock");
  if (!kc) return fail(kc.error());
  auto ke = flag(body, "keep_events");
  if (!ke) return fail(ke.error());
  req.keep_faults = *kf;
  req.keep_clock = *kc;
  req.keep_events = *ke;
  auto rep = s.admin->reset(req);
  if (!rep) return fail(rep.error());
  send_json(c.res, 200,
            {{"reset", {{"kv", rep->kv}, {"r2", rep->r2}, {"d1", rep->d1}}},
             {"service", req.service.empty() ? json(nullptr) : json(req.service)},
             {"namespace", req.ns.empty() ? json(nullptr) : json(req.ns)},
             {"faults_cleared", rep->faults_cleared},
             {"clock_reset", rep->clock_reset},
             {"events_cleared", rep->events_cleared},
             {"duration_ms", rep->duration_ms}});
  return {};
}

}  // namespace

void add_reset_routes(Router& r, Services& s) {
  r.add("POST", "/_emu/reset", Service::control, Op::control,
        [&s](Call& c) { return post_reset(s, c); },
        "Empty storage: {service?, namespace?, keep_faults?, keep_clock?, keep_events?}");
}

}  // namespace era::api
