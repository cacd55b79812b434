// ERA KV routes, wire-compatible with the original proxy (shared/spec/era-wire-protocol.md §2)
// plus additive extensions: cursor paging, expiration/expirationTtl, ?metadata=true.
#include "api/json_io.h"
#include "api/routes.h"
#include "core/names.h"
#include "kv/engine.h"
#include "kv/errors.h"
#include "kv/validate.h"

namespace era::api {
namespace {

Status check_ns(Call& c) {
  c.ns = c.params.at(0);
  if (auto err = core::validate_namespace(c.ns)) return fail(*err);
  if (c.params.size() > 1) c.key = c.params[1];
  return {};
}

// An integer from the body (number) or the query string (text), remembering the raw text.
Result<std::optional<int64_t>> int_option(Call& c, const json& body, const char* body_field,
                                          const char* query_name, std::string& raw) {
  if (auto it = body.find(body_field); it != body.end() && !it->is_null()) {
    raw = it->dump();
    if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
    if (it->is_number_float()) return std::optional<int64_t>(static_cast<int64_t>(it->get<double>()));
    if (it->is_string()) {
      raw = it->get<std::string>();
      auto v = parse_int(raw, body_field);
      if (!v) return fail(v.error());
      return std::optional<int64_t>(*v);
    }
    return fail(Code::INVALID_BODY, std::string("field \"") + body_field + "\" must be a number");
  }
  if (c.has_query(query_name)) {
    raw = c.query(query_name);
    auto v = parse_int(raw, query_name);
    if (!v) return fail(v.error());
    return std::optional<int64_t>(*v);
  }
  return std::optional<int64_t>{};
}

Status kv_get(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto r = s.kv->get(c.ctx, c.ns, c.key);
  if (!r) return fail(r.error());
  if (!*r) return fail(kv::errors::key_not_found());
  const kv::Entry& e = **r;
  if (c.query("metadata") == "true" || c.query("metadata") == "1") {
    send_json(c.res, 200,
              {{"value", e.value},
               {"metadata", e.metadata},
               {"expiration", e.expiration ? json(e.expiration) : json(nullptr)}});
  } else {
    send_json(c.res, 200, {{"value", e.value}});
  }
  return {};
}

Status kv_put(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto vit = body->find("value");
  if (vit == body->end()) return fail(Code::INVALID_BODY, "missing required field \"value\"");
  if (!vit->is_string()) return fail(kv::errors::invalid_value());
  kv::PutOptions opts;
  if (auto m = body->find("metadata"); m != body->end()) opts.metadata = *m;
  kv::ExpirationInput exp;
  auto e = int_option(c, *body, "expiration", "expiration", exp.expiration_raw);
  if (!e) return fail(e.error());
  exp.expiration = *e;
  auto t = int_option(c, *body, "expirationTtl", "expiration_ttl", exp.ttl_raw);
  if (!t) return fail(t.error());
  exp.ttl = *t;
  auto resolved = kv::resolve_expiration(exp, c.ctx.now_ms);
  if (!resolved) return fail(resolved.error());
  opts.expiration = *resolved;
  ERA_TRY(s.kv->put(c.ctx, c.ns, c.key, vit->get_ref<const std::string&>(), opts));
  send_json(c.res, 200, {{"success", true}});
  return {};
}

Status kv_delete(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  ERA_TRY(s.kv->del(c.ctx, c.ns, c.key));
  send_json(c.res, 200, {{"success", true}});
  return {};
}

Status kv_list(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  kv::ListOptions opts;
  opts.prefix = c.query("prefix");
  opts.cursor = c.query("cursor");
  opts.limit = 100;  // the ERA proxy's default (Cloudflare's is 1000)
  if (c.has_query("limit")) {
    std::string raw = c.query("limit");
    auto v = parse_int(raw, "limit");
    if (!v) return fail(v.error());
    if (auto err = kv::validate_limit(*v, raw)) return fail(*err);
    opts.limit = static_cast<int>(*v);
  }
  auto r = s.kv->list(c.ctx, c.ns, opts);
  if (!r) return fail(r.error());
  json keys = json::array();
  for (auto& k : r->keys) {
    json entry = {{"name", std::move(k.name)}};
    if (!k.metadata.is_null()) entry["metadata"] = std::move(k.metadata);
    if (k.expiration) entry["expiration"] = k.expiration;
    keys.push_back(std::move(entry));
  }
  json out = {{"keys", std::move(keys)}, {"list_complete", r->list_complete}};
  if (!r->list_complete) out["cursor"] = r->cursor;
  send_json(c.res, 200, out);
  return {};
}

}  // namespace

void add_era_kv_routes(Router& r, Services& s) {
  auto bind = [&s](Status (*fn)(Services&, Call&)) {
    return [&s, fn](Call& c) { return fn(s, c); };
  };
  r.add("GET", "/api/storage/kv/{ns}", Service::kv, Op::list, bind(kv_list),
        "List keys: ?prefix=&limit=(1-1000, default 100)&cursor=");
  r.add("GET", "/api/storage/kv/{ns}/{key+}", Service::kv, Op::get, bind(kv_get),
        "Get a value: {value}; ?metadata=true adds metadata and expiration");
  r.add("PUT", "/api/storage/kv/{ns}/{key+}", Service::kv, Op::put, bind(kv_put),
        "Set {value, metadata?, expiration?, expirationTtl?}");
  r.add("DELETE", "/api/storage/kv/{ns}/{key+}", Service::kv, Op::del, bind(kv_delete),
        "Delete a key (succeeds when missing)");
}

}  // namespace era::api
