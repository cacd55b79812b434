// GET /_emu/events: the bounded log of served operations, for assertions.
#include "api/control/control.h"
#include "api/json_io.h"
#include "core/events.h"

namespace era::api {
namespace {

Status get_events(Services& s, Call& c) {
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
  core::EventPage page = s.events->query(f);
  json events = json::array();
  for (const auto& e : page.events) events.push_back(e.to_json());
  json out = {{"events", std::move(events)}, {"next", page.next}};
  if (page.dropped) out["dropped"] = page.dropped;
  send_json(c.res, 200, out);
  return {};
}

}  // namespace

void add_event_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/events", Service::control, Op::control,
        [&s](Call& c) { return get_events(s, c); },
        "Served operations: ?since=N&service=&op=&namespace=&key=&client=&limit= -> {events, next}")
      .quick = true;
}

}  // namespace era::api
