// GET /_emu/config: the effective declarations (era-emu.json), secrets as references only.
// POST /_emu/declarations: declare products at run time (app/declarations.h).
// POST /_emu/migrate: apply pending D1 migrations now (what `era-emu migrate --url` calls).
#include <mutex>

#include "admin/admin.h"
#include "admin/migrations.h"
#include "api/control/control.h"
#include "api/json_io.h"
#include "api/routes.h"
#include "core/clock.h"
#include "products/catalog.h"

namespace era::api {
namespace {

Status get_config(Services& s, Call& c) {
  send_json(c.res, 200, s.catalog->get()->to_json());
  return {};
}

Status post_migrate(Services& s, Call& c) {
  std::string only;
  if (!c.body.empty()) {
    auto body = parse_object(c.body);
    if (!body) return fail(body.error());
    for (auto it = body->begin(); it != body->end(); ++it)
      if (it.key() != "database")
        return fail(Error(Code::INVALID_BODY, "unknown field \"" + it.key() + "\" (use \"database\")")
                        .with_details({{"field", it.key()}}));
    if (auto it = body->find("database"); it != body->end() && !it->is_null()) {
      if (!it->is_string())
        return fail(Error(Code::INVALID_BODY, "\"database\" must be a string").with_details({{"field", "database"}}));
      only = it->get<std::string>();
    }
  }
  // Exclusive like a reset: no storage call sees a half-migrated database.
  std::lock_guard lock(s.admin->lock());
  auto reports = admin::apply_all_migrations(*s.d1, *s.catalog->get(), s.clock->now_ms(), only);
  if (!reports) return fail(reports.error());
  send_json(c.res, 200, admin::to_json(*reports));
  return {};
}

// POST /_emu/declarations: products declared at run time (the era-emu.json schema, plus
// Layeron's namespace / lifecycle / SecretRef forms). Exclusive like a reset: no storage call
// sees a store half-declared (options in, cipher not yet).
Status post_declarations(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  std::lock_guard lock(s.admin->lock());
  auto out = s.declare(*body);
  if (!out) return fail(out.error());
  send_json(c.res, 200, *out);
  return {};
}

}  // namespace

void add_config_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/config", Service::control, Op::control, bind_services(s, get_config),
        "Effective declared products (era-emu.json): buckets, kv, d1, strict, source; secrets as references");
  if (s.admin && s.declare)
    r.add("POST", "/_emu/declarations", Service::control, Op::control, bind_services(s, post_declarations),
          "Declare buckets, kv stores, d1 databases and secrets now (era-emu.json's schema); equal declarations "
          "are unchanged, different ones 409 DECLARATION_CONFLICT; kept in the data dir");
  if (s.admin && s.d1)
    r.add("POST", "/_emu/migrate", Service::control, Op::control, bind_services(s, post_migrate),
          "Apply pending D1 migrations of every declared database (or {\"database\": NAME}); "
          "answers {databases: [{database, applied, already_applied}]}");
}

}  // namespace era::api
