// /_emu/inspect: the authoritative state of every engine (no faults, no propagation, no events).
#include "admin/admin.h"
#include "api/control/control.h"
#include "api/era/d1_wire.h"
#include "api/json_io.h"
#include "core/crypto.h"
#include "products/catalog.h"

#include <algorithm>
#include <cctype>

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

Result<int> page_limit(Call& c) {
  auto limit = int_query(c, "limit", 100);
  if (!limit) return fail(limit.error());
  if (*limit < 1 || *limit > 1000) return fail(Error(Code::BAD_REQUEST, "limit must be from 1 to 1000"));
  return int(*limit);
}

bool paged(Call& c) { return c.has_query("limit") || c.has_query("cursor") || c.has_query("prefix") || c.has_query("location") || c.has_query("delimiter"); }

std::string location_of(Call& c) { return c.has_query("location") && !c.query("location").empty() ? c.query("location") : "local"; }

// GET /_emu/inspect: what holds data, plus what is declared and still empty.
Status summary(Services& s, Call& c) {
  auto sum = s.admin->inspect_summary();
  if (!sum) return fail(sum.error());
  json out = std::move(*sum);
  if (s.catalog) {
    const auto* cat = s.catalog->get();
    auto mark = [&](const char* section, const std::string& name, json extra) {
      json& list = out[section];
      for (auto& e : list)
        if (e["name"] == name) return void(e["declared"] = true);
      extra["name"] = name;
      extra["declared"] = true;
      list.push_back(std::move(extra));
    };
    for (const auto& k : cat->kv) mark("kv", k.name, {{"keys", 0}, {"bytes", 0}});
    for (const auto& b : cat->buckets) mark("r2", b.name, {{"objects", 0}, {"bytes", 0}, {"uploads", 0}});
    for (const auto& d : cat->d1) mark("d1", d.name, {{"tables", 0}, {"bytes", 0}});
    for (const char* section : {"kv", "r2", "d1"}) {
      for (auto& e : out[section])
        if (!e.contains("declared")) e["declared"] = false;
      std::sort(out[section].begin(), out[section].end(),
                [](const json& a, const json& b) { return a["name"].get<std::string>() < b["name"].get<std::string>(); });
    }
  }
  send_json(c.res, 200, out);
  return {};
}

// PUT /_emu/inspect/kv/{ns}/{key}: {"value": string, "metadata"?: any, "expiration"?: unix seconds}
Status kv_put(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto v = body->find("value");
  if (v == body->end() || !v->is_string())
    return fail(Error(Code::INVALID_BODY, "field \"value\" must be a string").with_details({{"field", "value"}}));
  std::optional<json> metadata;
  if (auto m = body->find("metadata"); m != body->end() && !m->is_null()) metadata = *m;
  int64_t expiration = 0;
  if (auto e = body->find("expiration"); e != body->end() && !e->is_null()) {
    if (!e->is_number_integer() || e->get<int64_t>() < 0)
      return fail(Error(Code::INVALID_BODY, "field \"expiration\" must be unix seconds").with_details({{"field", "expiration"}}));
    expiration = e->get<int64_t>();
  }
  ERA_TRY(s.admin->inspect_kv_put(c.params[0], c.params[1], v->get_ref<const std::string&>(), metadata, expiration));
  send_json(c.res, 200, {{"success", true}});
  return {};
}

// GET /_emu/inspect/r2/{bucket}/{key}?raw=1: the object's bytes with its content type (the
// inspector's download and preview).
Status r2_raw(Services& s, Call& c) {
  auto r = s.admin->inspect_r2_key(c.params[0], c.params[1], true);
  if (!r) return fail(r.error());
  if (!*r) return fail(Error(Code::NOT_FOUND, "R2 object \"" + c.params[1] + "\" in bucket \"" + c.params[0] + "\" does not exist"));
  const json& j = **r;
  auto bytes = core::base64_decode(j.value("base64", std::string()));
  if (!bytes) return fail(Error(Code::INTERNAL, "cannot decode the object body"));
  std::string type = j.value("contentType", std::string("application/octet-stream"));
  c.res.status = 200;
  c.res.set_content(std::move(*bytes), type);
  c.res.set_header("X-Content-Type-Options", "nosniff");
  c.res.set_header("Content-Security-Policy", "default-src 'none'; sandbox");
  std::string name = c.params[1].substr(c.params[1].rfind('/') + 1);
  std::string safe;
  for (char ch : name) safe += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_') ? ch : '_';
  c.res.set_header("Content-Disposition", "attachment; filename=\"" + (safe.empty() ? std::string("object") : safe) + "\"");
  return {};
}

}  // namespace

void add_inspect_routes(Router& r, Services& s) {
  r.add("GET", "/_emu/inspect", Service::control, Op::control, [&s](Call& c) { return summary(s, c); },
        "Every KV namespace, R2 bucket and D1 database with data or declared: counts, bytes, declared");
  r.add("GET", "/_emu/inspect/kv/{ns}", Service::control, Op::control,
        [&s](Call& c) -> Status {
          if (!paged(c)) return send_result(c, s.admin->inspect_kv(c.params[0]));
          auto limit = page_limit(c);
          if (!limit) return fail(limit.error());
          return send_result(c, s.admin->inspect_kv_page(c.params[0], c.query("prefix"), c.query("cursor"), *limit,
                                                          location_of(c)));
        },
        "Every live KV entry of a namespace: {keys: [{name, value, metadata, expiration}]}; with "
        "?prefix=&cursor=&limit=&location= one page of keys (no values) as that location sees them");
  r.add("GET", "/_emu/inspect/kv/{ns}/{key+}", Service::control, Op::control,
        [&s](Call& c) {
          return send_or_404(c, s.admin->inspect_kv_key(c.params[0], c.params[1], location_of(c)),
                             "KV key \"" + c.params[1] + "\" in namespace \"" + c.params[0] + "\"");
        },
        "One KV entry {name, value, metadata, expiration}; ?location= reads as that location; 404 when missing or expired");
  r.add("PUT", "/_emu/inspect/kv/{ns}/{key+}", Service::control, Op::control,
        [&s](Call& c) { return kv_put(s, c); },
        "Set a KV entry {value, metadata?, expiration?}: visible everywhere at once, no faults, no events");
  r.add("DELETE", "/_emu/inspect/kv/{ns}/{key+}", Service::control, Op::control,
        [&s](Call& c) -> Status {
          ERA_TRY(s.admin->inspect_kv_delete(c.params[0], c.params[1]));
          c.res.status = 204;
          return {};
        },
        "Delete a KV entry (no faults, no events)");
  r.add("GET", "/_emu/inspect/r2/{bucket}", Service::control, Op::control,
        [&s](Call& c) -> Status {
          if (!paged(c)) return send_result(c, s.admin->inspect_r2(c.params[0]));
          auto limit = page_limit(c);
          if (!limit) return fail(limit.error());
          return send_result(c, s.admin->inspect_r2_page(c.params[0], c.query("prefix"), c.query("delimiter"),
                                                          c.query("cursor"), *limit));
        },
        "Every R2 object of a bucket with its metadata: {objects: [...]}; with ?prefix=&delimiter=&cursor=&limit= "
        "one page {objects, delimitedPrefixes, truncated, cursor?, uploads}");
  r.add("GET", "/_emu/inspect/r2/{bucket}/{key+}", Service::control, Op::control,
        [&s](Call& c) -> Status {
          if (truthy(c.query("raw"))) return r2_raw(s, c);
          return send_or_404(c, s.admin->inspect_r2_key(c.params[0], c.params[1], truthy(c.query("body"))),
                             "R2 object \"" + c.params[1] + "\" in bucket \"" + c.params[0] + "\"");
        },
        "One R2 object's metadata; ?body=true adds the body as base64; ?raw=1 answers the bytes as a download");
  r.add("DELETE", "/_emu/inspect/r2/{bucket}/{key+}", Service::control, Op::control,
        [&s](Call& c) -> Status {
          ERA_TRY(s.admin->inspect_r2_delete(c.params[0], c.params[1]));
          c.res.status = 204;
          return {};
        },
        "Delete an R2 object (no faults, no events)");
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
          send_ordered(c.res, ojson{{"results", std::move(r->rows)}, {"columns", std::move(r->columns)}});
          return {};
        },
        "A read-only query {sql, params?} -> {results: [rows in column order]}; writes refused");
}

}  // namespace era::api
