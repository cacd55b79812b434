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
  auto bad = [](std::string msg) { return fail(Code::INVALID_TIME, std::move(msg)); };
  // Everything is read and checked first: a request that fails changes nothing.
  auto flag = [&](const char* name, bool& out) -> Status {
    auto it = body->find(name);
    if (it == body->end()) return {};
    if (!it->is_boolean()) return bad("\"" + std::string(name) + "\" must be true");
    out = it->get<bool>();
    return {};
  };
  bool freeze = false, resume = false, reset = false;
  ERA_TRY(flag("freeze", freeze));
  ERA_TRY(flag("resume", resume));
  ERA_TRY(flag("reset", reset));
  std::optional<int64_t> set, advance;
  if (auto it = body->find("set"); it != body->end()) {
    if (it->is_string()) set = core::parse_iso8601(it->get<std::string>());
    else if (it->is_number_integer()) set = it->get<int64_t>();
    if (!set) return bad("\"set\" must be an ISO-8601 instant such as \"2030-01-01T00:00:00Z\" or epoch ms");
    if (!core::Clock::in_range(*set))
      return bad("\"set\" must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (epoch ms 0 to " +
                 std::to_string(core::Clock::kMaxMs) + ")");
  }
  if (auto it = body->find("advance_ms"); it != body->end()) {
    if (!it->is_number_integer()) return bad("\"advance_ms\" must be an integer number of milliseconds");
    advance = it->get<int64_t>();
  }
  if (auto it = body->find("advance"); it != body->end()) {
    std::optional<int64_t> ms;
    if (it->is_string()) ms = core::parse_duration_ms(it->get<std::string>());
    if (!ms) return bad("\"advance\" must be a duration such as \"90s\", \"5m\", \"1h30m\"");
    int64_t sum = 0;
    if (__builtin_add_overflow(advance.value_or(0), *ms, &sum)) return bad("the advance is too large");
    advance = sum;
  }
  if (!body->contains("freeze") && !body->contains("resume") && !body->contains("reset") && !set && !advance)
    return bad("expected one of {\"freeze\":true}, {\"resume\":true}, {\"advance_ms\":N}, "
               "{\"advance\":\"90s\"}, {\"set\":\"<ISO-8601>\"}, {\"reset\":true}");
  if (advance) {
    int64_t base = set ? *set : reset ? core::Clock::wall_ms() : clock.now_ms(), target = 0;
    if (__builtin_add_overflow(base, *advance, &target) || !core::Clock::in_range(target))
      return bad("advancing " + std::to_string(*advance) + " ms from " + core::iso8601_ms(base) +
                 " would leave the clock's range (1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)");
  }
  if (freeze) clock.freeze();
  if (resume) clock.resume();
  if (reset) clock.reset();
  if (set) clock.set_ms(*set);
  if (advance) clock.advance_ms(*advance);
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
