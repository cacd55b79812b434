// GET/POST /_emu/time: read and steer the one virtual clock.
#include "api/control/control.h"
#include "api/json_io.h"
#include "core/clock.h"
#include "core/time_util.h"

namespace era::api {
namespace {

json clock_json(const core::Clock& c) {
  int64_t now = c.now_ms();
  return {{"now", core::iso8601_ms(now)},
          {"now_ms", now},
          {"mode", std::string(core::Clock::mode_name(c.mode()))}};
}

Status post_time(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  core::Clock& clock = *s.clock;
  int actions = 0;
  auto bad = [](std::string msg) { return fail(Code::INVALID_TIME, std::move(msg)); };
  if (auto it = body->find("freeze"); it != body->end()) {
    if (!it->is_boolean()) return bad("\"freeze\" must be true");
    if (it->get<bool>()) clock.freeze();
    ++actions;
  }
  if (auto it = body->find("resume"); it != body->end()) {
    if (!it->is_boolean()) return bad("\"resume\" must be true");
    if (it->get<bool>()) clock.resume();
    ++actions;
  }
  if (auto it = body->find("reset"); it != body->end()) {
    if (!it->is_boolean()) return bad("\"reset\" must be true");
    if (it->get<bool>()) clock.reset();
    ++actions;
  }
  if (auto it = body->find("set"); it != body->end()) {
    std::optional<int64_t> ms;
    if (it->is_string()) ms = core::parse_iso8601(it->get<std::string>());
    else if (it->is_number_integer()) ms = it->get<int64_t>();
    if (!ms) return bad("\"set\" must be an ISO-8601 instant such as \"2030-01-01T00:00:00Z\" or epoch ms");
    clock.set_ms(*ms);
    ++actions;
  }
  if (auto it = body->find("advance_ms"); it != body->end()) {
    if (!it->is_number_integer()) return bad("\"advance_ms\" must be an integer number of milliseconds");
    clock.advance_ms(it->get<int64_t>());
    ++actions;
  }
  if (auto it = body->find("advance"); it != body->end()) {
    std::optional<int64_t> ms;
    if (it->is_string()) ms = core::parse_duration_ms(it->get<std::string>());
    if (!ms) return bad("\"advance\" must be a duration such as \"90s\", \"5m\", \"1h30m\"");
    clock.advance_ms(*ms);
    ++actions;
  }
  if (actions == 0)
    return bad("expected one of {\"freeze\":true}, {\"resume\":true}, {\"advance_ms\":N}, "
               "{\"advance\":\"90s\"}, {\"set\":\"<ISO-8601>\"}, {\"reset\":true}");
  send_json(c.res, 200, clock_json(clock));
  return {};
}

}  // namespace

void add_time_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/time", Service::control, Op::control,
        [&s](Call& c) -> Status {
          send_json(c.res, 200, clock_json(*s.clock));
          return {};
        },
        "The virtual clock: {now, now_ms, mode}")
      .quick = true;
  r.add("POST", "/_emu/time", Service::control, Op::control,
        [&s](Call& c) { return post_time(s, c); },
        "Steer the clock: freeze | resume | advance_ms | advance | set | reset");
}

}  // namespace era::api
