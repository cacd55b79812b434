// /_emu/inspect: the authoritative state of every engine (no faults, no propagation, no events).
#include "admin/admin.h"
#include "api/control/control.h"
#include "api/era/d1_wire.h"
#include "api/json_io.h"

namespace era::api {
namespace {

Status send_or_404(Call& c, Result<std::optional<json>> r, const std::string& what) {
  if (!r) return fail(r.error());
  if (!*r) return fail(Error(Code::NOT_FOUND, what + " does not exist"));
  send_json(c.res, 200, **r);
  return {};
}

Status send_result(Call& c, Result<json> r) {
  if (!r) return fail(r.error());
  send_json(c.res, 200, *r);
  return {};
}

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

Result<int64_t> int_query(Call& c, const char* name, int64_t def) {
  if (!c.has_query(name)) return def;
  return parse_int(c.query(name), name);
}

}  // namespace

void add_inspect_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/inspect/kv/{ns}", Service::control, Op::control,
        [&s](Call& c) { return send_result(c, s.admin->inspect_kv(c.params[0])); },
        "Every live KV entry of a namespace: {keys: [{name, value, metadata, expiration}]}");
  r.add("GET", "/_emu/inspect/kv/{ns}/{key+}", Service::control, Op::control,
        [&s](Call& c) {
          return send_or_404(c, s.admin->inspect_kv_key(c.params[0], c.params[1]),
                             "KV key \"" + c.params[1] + "\" in namespace \"" + c.params[0] + "\"");
        },
        "One KV entry {name, value, metadata, expiration}; 404 when missing or expired");
  r.add("GET", "/_emu/inspect/r2/{bucket}", Service::control, Op::control,
        [&s](Call& c) { return send_result(c, s.admin->inspect_r2(c.params[0])); },
        "Every R2 object of a bucket with its metadata: {objects: [...]}");
  r.add("GET", "/_emu/inspect/r2/{bucket}/{key+}", Service::control, Op::control,
        [&s](Call& c) {
          return send_or_404(c, s.admin->inspect_r2_key(c.params[0], c.params[1], truthy(c.query("body"))),
                             "R2 object \"" + c.params[1] + "\" in bucket \"" + c.params[0] + "\"");
        },
        "One R2 object's metadata; ?body=true adds the body as base64");
  r.add("GET", "/_emu/inspect/d1/{ns}", Service::control, Op::control,
        [&s](Call& c) { return send_result(c, s.admin->inspect_d1(c.params[0])); },
        "D1 tables with schema and row counts: {tables: [{name, sql, columns, rows}]}");
  r.add("GET", "/_emu/inspect/d1/{ns}/{table}", Service::control, Op::control,
        [&s](Call& c) -> Status {
          auto limit = int_query(c, "limit", 1000);
          if (!limit) return fail(limit.error());
          auto offset = int_query(c, "offset", 0);
          if (!offset) return fail(offset.error());
          return send_result(c, s.admin->inspect_d1_table(c.params[0], c.params[1], *limit, *offset));
        },
        "Rows of one D1 table: ?limit=(default 1000)&offset=");
  r.add("POST", "/_emu/inspect/d1/{ns}/query", Service::control, Op::control,
        [&s](Call& c) -> Status {
          auto body = parse_object(c.body);
          if (!body) return fail(body.error());
          auto in = statement_from(*body);
          if (!in) return fail(in.error());
          auto r = s.admin->inspect_d1_query(c.params[0], std::move(*in));
          if (!r) return fail(r.error());
          send_ordered(c.res, ojson{{"results", std::move(r->rows)}});
          return {};
        },
        "A read-only query {sql, params?} -> {results: [rows in column order]}; writes refused");
}

}  // namespace era::api
