// GET /_emu/events: the bounded log of served operations, for assertions.
#include <atomic>
#include <chrono>
#include <cmath>

#include "api/control/control.h"
#include "api/json_io.h"
#include "core/events.h"

namespace era::api {
namespace {

Result<core::EventFilter> filter_of(Call& c) {
  core::EventFilter f;
  if (c.has_query("since")) {
    auto v = parse_int(c.query("since"), "since");
    if (!v) return fail(v.error());
    if (*v < 0) return fail(Code::BAD_REQUEST, "since must not be negative");
    f.since = uint64_t(*v);
  }
  if (c.has_query("limit")) {
    auto v = parse_int(c.query("limit"), "limit");
    if (!v) return fail(v.error());
    if (*v < 1 || *v > 10000) return fail(Code::BAD_REQUEST, "limit must be from 1 to 10000");
    f.limit = size_t(*v);
  }
  f.service = c.query("service");
  f.op = c.query("op");
  f.ns = c.query("namespace");
  f.key = c.query("key");
  f.client = c.query("client");
  return f;
}

void send_page(Call& c, const core::EventPage& page) {
  json events = json::array();
  for (const auto& e : page.events) events.push_back(e.to_json());
  json out = {{"events", std::move(events)}, {"next", page.next}};
  if (page.dropped) out["dropped"] = page.dropped;
  send_json(c.res, 200, out);
}

Status get_events(Services& s, Call& c) {
  auto f = filter_of(c);
  if (!f) return fail(f.error());
  send_page(c, s.events->query(*f));
  return {};
}

// Long-poll: as /_emu/events, but when nothing matches yet the answer waits up to wait_ms
// (default 20000, at most 25000) for the first matching event. At most kMaxWaiters requests
// wait at once (each holds a handler thread); the rest are answered at once.
constexpr int kMaxWaiters = 4;
std::atomic<int> waiters{0};

Status get_events_live(Services& s, Call& c) {
  auto f = filter_of(c);
  if (!f) return fail(f.error());
  int64_t wait_ms = 20000;
  if (c.has_query("wait_ms")) {
    auto v = parse_int(c.query("wait_ms"), "wait_ms");
    if (!v) return fail(v.error());
    if (*v < 0 || *v > 25000) return fail(Code::BAD_REQUEST, "wait_ms must be from 0 to 25000");
    wait_ms = *v;
  }
  if (waiters.fetch_add(1) >= kMaxWaiters) wait_ms = 0;
  core::EventPage page = s.events->wait(*f, std::chrono::milliseconds(wait_ms));
  waiters.fetch_sub(1);
  send_page(c, page);
  return {};
}

// GET /_emu/stats?seconds=N (1..300, default 120): calls per wall-clock second and service.
Status get_stats(Services& s, Call& c) {
  int64_t seconds = 120;
  if (c.has_query("seconds")) {
    auto v = parse_int(c.query("seconds"), "seconds");
    if (!v) return fail(v.error());
    if (*v < 1 || *v > int64_t(core::EventLog::kStatsSeconds)) return fail(Code::BAD_REQUEST, "seconds must be from 1 to 300");
    seconds = *v;
  }
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto all = s.events->stats(now_s, size_t(seconds));
  json services = json::object();
  for (size_t i = 0; i < all.size(); ++i) {
    json count = json::array(), errors = json::array(), avg = json::array(), max = json::array();
    for (const auto& st : all[i]) {
      count.push_back(st.count);
      errors.push_back(st.errors);
      avg.push_back(st.count ? std::round(st.total_ms / st.count * 1000) / 1000 : 0.0);
      max.push_back(std::round(st.max_ms * 1000) / 1000);
    }
    services[core::EventLog::kStatsServices[i]] = {{"count", std::move(count)}, {"errors", std::move(errors)},
                                                  {"avg_ms", std::move(avg)}, {"max_ms", std::move(max)}};
  }
  send_json(c.res, 200, {{"end", now_s}, {"seconds", seconds}, {"services", std::move(services)}});
  return {};
}

}  // namespace

void add_event_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/events", Service::control, Op::control,
        [&s](Call& c) { return get_events(s, c); },
        "Served operations: ?since=N&service=&op=&namespace=&key=&client=&limit= -> {events, next}")
      .quick = true;
  r.add("GET", "/_emu/events/live", Service::control, Op::control,
        [&s](Call& c) { return get_events_live(s, c); },
        "Long-poll: as /_emu/events, waiting up to ?wait_ms= (<= 25000) for the first matching event");
  r.add("GET", "/_emu/stats", Service::control, Op::control, [&s](Call& c) { return get_stats(s, c); },
        "Calls per wall-clock second by service (kv, r2, d1, other): count, errors, avg_ms, max_ms; ?seconds=1..300")
      .quick = true;
}

}  // namespace era::api
