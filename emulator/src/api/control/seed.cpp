// POST /_emu/seed: apply a fixture document (KV entries, R2 objects, D1 SQL) all or nothing.
#include "admin/admin.h"
#include "api/control/control.h"
#include "api/json_io.h"

namespace era::api {

void add_seed_routes(Router& r, Services& s) {
  r.add("POST", "/_emu/seed", Service::control, Op::control,
        [&s](Call& c) -> Status {
          auto body = parse_object(c.body);
          if (!body) return fail(body.error());
          // Over HTTP there is no document location: R2 "file" entries are refused (the CLI
          // and the fixtures inline them as base64).
          auto rep = s.admin->seed(*body, std::nullopt);
          if (!rep) return fail(rep.error());
          send_json(c.res, 200, *rep);
          return {};
        },
        "Apply a fixture {kv: {ns: {key: value}}, r2: {bucket: {key: {text|base64}}}, d1: {ns: [SQL]}}")
      .body_limit = uint64_t(128) << 20;  // documents inline R2 objects as base64
}

}  // namespace era::api
