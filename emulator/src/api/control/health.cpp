#include "api/json_io.h"
#include "api/routes.h"

namespace era::api {

void add_health_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/health", Service::control, Op::control,
         [&s](Call& c) -> Status {
           send_json(c.res, 200, {{"status", "ok"}, {"version", s.settings.version}});
           return {};
         },
         "Liveness: {status, version}")
      .quick = true;
}

}  // namespace era::api
