// ERA D1 routes, wire-compatible with the original proxy (shared/spec/era-wire-protocol.md §3)
// with D1's own statuses (400 for the caller's SQL, 5xx only for emulator faults) and the
// additive /batch route. Reference: docs/api-d1.md.
#include "api/era/d1_wire.h"
#include "api/json_io.h"
#include "api/routes.h"
#include "core/names.h"
#include "d1/engine.h"
#include "d1/errors.h"
#include "d1/validate.h"

namespace era::api {
namespace {

Status check_ns(Call& c) {
  c.ns = c.params.at(0);
  if (auto err = core::validate_namespace(c.ns)) return fail(*err);
  return {};
}

ojson meta_json(const d1::Meta& m, bool with_count) {
  ojson j = {{"served_by", "era-emu"},
             {"served_by_region", "local"},
             {"served_by_primary", true},
             {"timings", {{"sql_duration_ms", m.duration_ms}}},
             {"duration", m.duration_ms},
             {"changes", m.changes},
             {"last_row_id", m.last_row_id},
             {"changed_db", m.changed_db},
             {"size_after", m.size_after},
             {"rows_read", m.rows_read},
             {"rows_written", m.rows_written},
             {"total_attempts", 1}};
  if (with_count) j["count"] = m.count;
  return j;
}

}  // namespace

void send_ordered(Response& res, const ojson& body) {
  res.status = 200;
  res.set_content(body.dump(-1, ' ', false, ojson::error_handler_t::replace), "application/json");
}

Result<d1::StatementInput> statement_from(const json& obj) {
  auto sit = obj.find("sql");
  if (sit == obj.end() || sit->is_null()) return fail(d1::errors::missing_sql());
  if (!sit->is_string()) return fail(d1::errors::sql_not_string());
  d1::StatementInput in;
  in.sql = sit->get<std::string>();
  if (auto pit = obj.find("params"); pit != obj.end() && !pit->is_null()) {
    if (!pit->is_array()) return fail(d1::errors::params_not_array());
    auto vals = d1::to_values(*pit);
    if (!vals) return fail(vals.error());
    in.params = std::move(*vals);
  }
  return in;
}

namespace {

// The body for POST; for GET, ?sql=...&params=<JSON array> (or a body when one was sent).
Result<json> request_object(Call& c) {
  if (c.req.method == "GET" && c.body.empty()) {
    json obj = json::object();
    if (c.has_query("sql")) obj["sql"] = c.query("sql");
    if (c.has_query("params")) {
      std::string raw = c.query("params");
      ERA_TRY(check_json_depth(raw, "the params query parameter"));
      json p = json::parse(raw, nullptr, false);
      if (p.is_discarded()) return fail(d1::errors::params_not_array());
      obj["params"] = std::move(p);
    }
    return obj;
  }
  return parse_object(c.body);
}

// ?resultsFormat=ROWS_AND_COLUMNS (workerd's name): results as {columns, rows: [[...]]}, which
// keeps duplicate column names and names the columns of an empty result (Workers' raw()).
// ARRAY_OF_OBJECTS (the default) is the ERA shape: one object per row.
Result<bool> rows_and_columns(const Call& c) {
  if (!c.has_query("resultsFormat")) return false;
  std::string f = c.query("resultsFormat");
  if (f == "ROWS_AND_COLUMNS") return true;
  if (f == "ARRAY_OF_OBJECTS") return false;
  return fail(Error(Code::BAD_REQUEST, "resultsFormat must be ARRAY_OF_OBJECTS (the default) or ROWS_AND_COLUMNS")
                  .with_details({{"field", "resultsFormat"}}));
}

ojson results_json(d1::QueryResult& q, bool rows_and_columns) {
  if (!rows_and_columns) return std::move(q.rows);
  return ojson{{"columns", std::move(q.columns)}, {"rows", std::move(q.rows)}};
}

Status d1_query(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto format = rows_and_columns(c);
  if (!format) return fail(format.error());
  auto body = request_object(c);
  if (!body) return fail(body.error());
  auto in = statement_from(*body);
  if (!in) return fail(in.error());
  in->read_only = c.req.method == "GET";  // GET never changes state
  in->rows_as_arrays = *format;
  auto r = s.d1->query(c.ctx, c.ns, *in);
  if (!r) return fail(r.error());
  send_ordered(c.res, ojson{{"success", true},
                            {"results", results_json(*r, *format)},
                            {"meta", meta_json(r->meta, false)}});
  return {};
}

Status d1_exec(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto in = statement_from(*body);
  if (!in) return fail(in.error());
  auto r = s.d1->exec(c.ctx, c.ns, *in);
  if (!r) return fail(r.error());
  send_ordered(c.res, ojson{{"success", true}, {"meta", meta_json(*r, true)}});
  return {};
}

Status d1_batch(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto format = rows_and_columns(c);
  if (!format) return fail(format.error());
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto sit = body->find("statements");
  if (sit == body->end() || !sit->is_array())
    return fail(d1::errors::bad_batch(
        "the body must be {\"statements\": [{\"sql\": \"...\", \"params\": [...]}, ...]}"));
  std::vector<d1::StatementInput> statements;
  statements.reserve(sit->size());
  for (size_t i = 0; i < sit->size(); ++i) {
    const json& st = (*sit)[i];
    if (!st.is_object())
      return fail(d1::errors::at_statement(
          d1::errors::bad_batch("statement " + std::to_string(i) + " must be an object {sql, params}"), i));
    auto in = statement_from(st);
    if (!in) return fail(d1::errors::at_statement(in.error(), i));
    in->rows_as_arrays = *format;
    statements.push_back(std::move(*in));
  }
  auto r = s.d1->batch(c.ctx, c.ns, statements);
  if (!r) return fail(r.error());
  ojson results = ojson::array();
  for (auto& q : *r)
    results.push_back(ojson{{"success", true},
                            {"results", results_json(q, *format)},
                            {"meta", meta_json(q.meta, false)}});
  send_ordered(c.res, ojson{{"success", true}, {"results", std::move(results)}});
  return {};
}

// Any other operation: the original parses the body first, then answers "Invalid operation".
Status d1_invalid(Services&, Call& c) {
  ERA_TRY(check_ns(c));
  if (!c.body.empty()) {
    auto body = parse_object(c.body);
    if (!body) return fail(body.error());
  }
  return fail(d1::errors::invalid_operation());
}

}  // namespace

void add_era_d1_routes(Router& r, Services& s) {
  // Statements are 100 KB at most and values 2 MB: 32 MiB holds any sane request, and bounds
  // what a careless one costs.
  constexpr uint64_t kD1Body = uint64_t(32) << 20;
  r.add("POST", "/api/storage/d1/{ns}", Service::d1, Op::query, bind_services(s, d1_query),
        "Query {sql, params?}: {success, results: [rows], meta}")
      .body_limit = kD1Body;
  r.add("GET", "/api/storage/d1/{ns}", Service::d1, Op::query, bind_services(s, d1_query),
        "Query via ?sql=&params=<JSON array>")
      .body_limit = kD1Body;
  r.add("POST", "/api/storage/d1/{ns}/query", Service::d1, Op::query, bind_services(s, d1_query),
        "Query {sql, params?}: {success, results: [rows], meta}")
      .body_limit = kD1Body;
  r.add("GET", "/api/storage/d1/{ns}/query", Service::d1, Op::query, bind_services(s, d1_query),
        "Query via ?sql=&params=<JSON array>")
      .body_limit = kD1Body;
  r.add("POST", "/api/storage/d1/{ns}/exec", Service::d1, Op::exec, bind_services(s, d1_exec),
        "Run {sql, params?} (several ;-separated statements allowed): {success, meta{count}}")
      .body_limit = kD1Body;
  r.add("POST", "/api/storage/d1/{ns}/batch", Service::d1, Op::batch, bind_services(s, d1_batch),
        "Run {statements: [{sql, params?}]} as one transaction: {success, results: [...]}")
      .body_limit = kD1Body;
  r.add("POST", "/api/storage/d1/{ns}/{op+}", Service::d1, Op::query, bind_services(s, d1_invalid),
        "Any other operation: 400 Invalid operation")
      .body_limit = kD1Body;
}

}  // namespace era::api
