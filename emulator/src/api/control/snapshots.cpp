// /_emu/snapshots: named, on-disk copies of KV, R2 and D1 together; restore is the "back to
// the seeded baseline" that test suites want.
#include "admin/admin.h"
#include "api/control/control.h"
#include "api/json_io.h"
#include "api/routes.h"
#include "core/time_util.h"

namespace era::api {
namespace {

json info_json(const admin::SnapshotInfo& i, bool with_duration) {
  json j = {{"name", i.name}, {"created", core::iso8601_ms(i.created_ms)}, {"created_ms", i.created_ms},
            {"bytes", i.bytes}};
  if (with_duration) j["duration_ms"] = i.duration_ms;
  return j;
}

Status post_snapshot(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto it = body->find("name");
  if (it == body->end() || !it->is_string())
    return fail(Error(Code::INVALID_SNAPSHOT, "the body needs a string \"name\", e.g. {\"name\":\"base\"}")
                    .with_details({{"field", "name"}}));
  auto info = s.admin->save_snapshot(it->get<std::string>());
  if (!info) return fail(info.error());
  send_json(c.res, 201, info_json(*info, true));
  return {};
}

Status list_snapshots(Services& s, Call& c) {
  auto list = s.admin->list_snapshots();
  if (!list) return fail(list.error());
  json out = json::array();
  for (const auto& i : *list) out.push_back(info_json(i, false));
  send_json(c.res, 200, {{"snapshots", std::move(out)}});
  return {};
}

Status get_snapshot(Services& s, Call& c) {
  auto list = s.admin->list_snapshots();
  if (!list) return fail(list.error());
  for (const auto& i : *list)
    if (i.name == c.params[0]) {
      send_json(c.res, 200, info_json(i, false));
      return {};
    }
  return fail(Error(Code::SNAPSHOT_NOT_FOUND, "no snapshot named \"" + c.params[0] + "\""));
}

Status restore_snapshot(Services& s, Call& c) {
  auto info = s.admin->restore_snapshot(c.params[0]);
  if (!info) return fail(info.error());
  json j = info_json(*info, true);
  j["restored"] = info->name;
  send_json(c.res, 200, j);
  return {};
}

Status delete_snapshot(Services& s, Call& c) {
  ERA_TRY(s.admin->delete_snapshot(c.params[0]));
  send_json(c.res, 200, {{"deleted", c.params[0]}});
  return {};
}

}  // namespace

void add_snapshot_routes(Router& r, Services& s) {
  r.add("POST", "/_emu/snapshots", Service::control, Op::control, bind_services(s, post_snapshot),
        "Save KV, R2 and D1 as {name} (replaces a snapshot of that name) -> 201 {name, created, bytes}");
  r.add("GET", "/_emu/snapshots", Service::control, Op::control, bind_services(s, list_snapshots),
        "{snapshots: [{name, created, bytes}]}");
  r.add("GET", "/_emu/snapshots/{name}", Service::control, Op::control, bind_services(s, get_snapshot),
        "One snapshot's {name, created, bytes}");
  r.add("POST", "/_emu/snapshots/{name}/restore", Service::control, Op::control, bind_services(s, restore_snapshot),
        "Put KV, R2 and D1 back to the snapshot, together");
  r.add("DELETE", "/_emu/snapshots/{name}", Service::control, Op::control, bind_services(s, delete_snapshot),
        "Delete a snapshot");
}

}  // namespace era::api
