// ERA KV routes, wire-compatible with the original proxy (shared/spec/era-wire-protocol.md §2)
// plus additive extensions: cursor paging, expiration/expirationTtl, ?metadata=true, cacheTtl,
// X-Era-Location (via the guard). Also the binary KV route /api/kv/{ns}/{key} (raw bytes in and
// out, metadata in a header, bulk get: what the Workers KVNamespace shim needs) and
// /_emu/kv/options, the KV knobs of the control plane. Reference: docs/api-kv.md.
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
    if (it->is_number_float()) {
      double d = it->get<double>();
      if (!(d > -1e15 && d < 1e15))
        return fail(Code::INVALID_BODY, std::string("field \"") + body_field + "\" is out of range");
      return std::optional<int64_t>(static_cast<int64_t>(d));
    }
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

// A cacheTtl given as text (seconds, >= 30), checked with KV's own messages.
Result<int64_t> parse_cache_ttl(const std::string& raw, const char* name) {
  auto v = parse_int(raw, name);
  if (!v) return fail(kv::errors::cache_ttl_too_small(raw.substr(0, 40)));
  if (auto err = kv::validate_cache_ttl(*v, raw)) return fail(*err);
  return *v;
}

// cacheTtl / cache_ttl (seconds, >= 30): how long this location keeps what it read.
Result<int64_t> cache_ttl_option(Call& c) {
  const char* name = c.has_query("cacheTtl") ? "cacheTtl" : c.has_query("cache_ttl") ? "cache_ttl" : nullptr;
  if (!name) return kv::kDefaultCacheTtlS;
  return parse_cache_ttl(c.query(name), name);
}

// A write's expiration from `body` (JSON route) or the query string: "expiration" (absolute
// seconds) and the TTL (`ttl_field` in the body, `ttl_query` in the query string), resolved
// against the request's clock.
Result<int64_t> expiration_option(Call& c, const json& body, const char* ttl_field,
                                  const char* ttl_query) {
  kv::ExpirationInput exp;
  auto e = int_option(c, body, "expiration", "expiration", exp.expiration_raw);
  if (!e) return fail(e.error());
  exp.expiration = *e;
  auto t = int_option(c, body, ttl_field, ttl_query, exp.ttl_raw);
  if (!t) return fail(t.error());
  exp.ttl = *t;
  return kv::resolve_expiration(exp, c.ctx.now_ms);
}

Status kv_get(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto ttl = cache_ttl_option(c);
  if (!ttl) return fail(ttl.error());
  auto r = s.kv->get(c.ctx, c.ns, c.key, {.cache_ttl_s = *ttl});
  if (!r) return fail(r.error());
  if (!*r) return fail(kv::errors::key_not_found());
  kv::Entry& e = **r;
  if (c.query("metadata") == "true" || c.query("metadata") == "1") {
    send_json(c.res, 200,
              {{"value", e.value},
               {"metadata", e.metadata},
               {"expiration", e.expiration ? json(e.expiration) : json(nullptr)}});
  } else {
    json body(json::value_t::object);  // the hot path: no initializer-list round, no copy of the value
    body.emplace("value", std::move(e.value));
    send_json(c.res, 200, body);
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
  const char* ttl_field = body->contains("expirationTtl") ? "expirationTtl" : "expiration_ttl";
  auto resolved = expiration_option(c, *body, ttl_field, "expiration_ttl");
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

Status kv_list_with_default(Services& s, Call& c, int default_limit) {
  ERA_TRY(check_ns(c));
  kv::ListOptions opts;
  opts.prefix = c.query("prefix");
  opts.cursor = c.query("cursor");
  opts.limit = default_limit;
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

// The ERA proxy's default page is 100 keys (Cloudflare's is 1000).
Status kv_list(Services& s, Call& c) { return kv_list_with_default(s, c, 100); }

// ---- /api/kv/{ns}/{key}: the binary KV route (raw values, metadata in a header) ----

constexpr const char* kMetadataHeader = "X-Era-KV-Metadata";
constexpr size_t kMaxBulkKeys = 100;  // Workers KV's get([...]) limit

Status kv_raw_get(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto ttl = cache_ttl_option(c);
  if (!ttl) return fail(ttl.error());
  auto r = s.kv->get(c.ctx, c.ns, c.key, {.cache_ttl_s = *ttl});
  if (!r) return fail(r.error());
  if (!*r) return fail(kv::errors::key_not_found());
  kv::Entry& e = **r;
  // JSON with every non-ASCII character escaped: a header carries it as it is.
  if (!e.metadata.is_null())
    c.res.set_header(kMetadataHeader, e.metadata.dump(-1, ' ', true, json::error_handler_t::replace));
  if (e.expiration) c.res.set_header("X-Era-KV-Expiration", std::to_string(e.expiration));
  if (e.cache_status) c.res.set_header("X-Era-KV-Cache-Status", e.cache_status);
  c.res.set_content(std::move(e.value), "application/octet-stream");
  return {};
}

Status kv_raw_put(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  kv::PutOptions opts;
  if (c.req.has_header(kMetadataHeader)) {
    std::string raw = c.req.get_header_value(kMetadataHeader);
    ERA_TRY(check_json_depth(raw, kMetadataHeader));
    json m = json::parse(raw, nullptr, false);
    if (m.is_discarded())
      return fail(Code::INVALID_JSON, std::string(kMetadataHeader) + " is not JSON");
    opts.metadata = std::move(m);
  }
  auto resolved = expiration_option(c, json::object(), "expirationTtl",
                                    c.has_query("expirationTtl") ? "expirationTtl" : "expiration_ttl");
  if (!resolved) return fail(resolved.error());
  opts.expiration = *resolved;
  ERA_TRY(s.kv->put(c.ctx, c.ns, c.key, c.body, opts));
  send_json(c.res, 200, {{"success", true}});
  return {};
}

// POST /api/kv/{ns} {"keys": [...], "withMetadata"?: bool, "cacheTtl"?: n} → {key: value|null}
// or, withMetadata, {key: {"value", "metadata", "expiration", "cacheStatus"}|null}. Values are
// text (bytes that are not UTF-8 become U+FFFD, as a Worker's text decoding does).
Status kv_bulk_get(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  auto keys = body->find("keys");
  if (keys == body->end() || !keys->is_array())
    return fail(Code::INVALID_BODY, "field \"keys\" must be an array of key names");
  if (keys->empty()) return fail(Code::INVALID_BODY, "field \"keys\" names no key");
  if (keys->size() > kMaxBulkKeys)
    return fail(Error(Code::INVALID_BODY, "KV GET_BULK failed: at most " + std::to_string(kMaxBulkKeys) +
                                              " keys can be read at once, not " + std::to_string(keys->size()))
                    .with_details({{"max_keys", kMaxBulkKeys}}));
  bool with_metadata = false;
  if (auto it = body->find("withMetadata"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean()) return fail(Code::INVALID_BODY, "field \"withMetadata\" must be a boolean");
    with_metadata = it->get<bool>();
  }
  kv::GetOptions opts;
  if (auto it = body->find("cacheTtl"); it != body->end() && !it->is_null()) {
    auto v = parse_cache_ttl(it->is_string() ? it->get<std::string>() : it->dump(), "cacheTtl");
    if (!v) return fail(v.error());
    opts.cache_ttl_s = *v;
  }
  json out = json::object();
  for (const json& k : *keys) {
    if (!k.is_string()) return fail(Code::INVALID_BODY, "field \"keys\" must hold strings only");
    const auto& key = k.get_ref<const std::string&>();
    auto r = s.kv->get(c.ctx, c.ns, key, opts);
    if (!r) return fail(r.error());
    if (!*r) {
      out[key] = nullptr;
      continue;
    }
    kv::Entry& e = **r;
    if (with_metadata)
      out[key] = {{"value", std::move(e.value)},
                  {"metadata", std::move(e.metadata)},
                  {"expiration", e.expiration ? json(e.expiration) : json(nullptr)},
                  {"cacheStatus", e.cache_status ? json(e.cache_status) : json(nullptr)}};
    else
      out[key] = std::move(e.value);
  }
  send_json(c.res, 200, out);
  return {};
}

Status kv_raw_list(Services& s, Call& c) { return kv_list_with_default(s, c, 1000); }

// ---- /_emu/kv/options: propagation delay, rate limit, namespace defaults (control plane) ----

json ns_options_json(const kv::Engine& e, const std::string& ns) {
  kv::NamespaceOptions o = e.namespace_options(ns);
  return {{"namespace", ns},
          {"default_ttl_s", o.default_ttl_s ? json(*o.default_ttl_s) : json(nullptr)},
          {"propagation_delay_ms",
           o.propagation_delay_ms ? json(*o.propagation_delay_ms) : json(nullptr)},
          {"effective_propagation_delay_ms", e.propagation_delay_ms(ns)}};
}

json options_json(const kv::Engine& e) {
  kv::Options o = e.options();
  json namespaces = json::object();
  for (const auto& [ns, _] : e.all_namespace_options()) namespaces[ns] = ns_options_json(e, ns);
  return {{"propagation_delay_ms", o.propagation_delay_ms},
          {"rate_limit_writes", o.rate_limit_writes},
          {"namespaces", std::move(namespaces)}};
}

// A non-negative integer field, or null (= unset) when `nullable`.
Result<std::optional<int64_t>> option_int(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer())
    return fail(Code::INVALID_BODY, std::string("field \"") + field + "\" must be an integer or null");
  return std::optional<int64_t>(it->get<int64_t>());
}

Status get_options(Services& s, Call& c) {
  send_json(c.res, 200, options_json(*s.kv));
  return {};
}

Status put_options(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  kv::Options o = s.kv->options();
  auto delay = option_int(*body, "propagation_delay_ms");
  if (!delay) return fail(delay.error());
  if (*delay) o.propagation_delay_ms = **delay;
  if (auto it = body->find("rate_limit_writes"); it != body->end()) {
    if (!it->is_boolean()) return fail(Code::INVALID_BODY, "field \"rate_limit_writes\" must be a boolean");
    o.rate_limit_writes = it->get<bool>();
  }
  ERA_TRY(s.kv->set_options(o));
  send_json(c.res, 200, options_json(*s.kv));
  return {};
}

Status get_ns_options(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  send_json(c.res, 200, ns_options_json(*s.kv, c.ns));
  return {};
}

// Replaces the namespace's options: a missing or null field is unset.
Status put_ns_options(Services& s, Call& c) {
  ERA_TRY(check_ns(c));
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  kv::NamespaceOptions o;
  auto ttl = option_int(*body, "default_ttl_s");
  if (!ttl) return fail(ttl.error());
  o.default_ttl_s = *ttl;
  auto delay = option_int(*body, "propagation_delay_ms");
  if (!delay) return fail(delay.error());
  o.propagation_delay_ms = *delay;
  ERA_TRY(s.kv->set_namespace_options(c.ns, o));
  send_json(c.res, 200, ns_options_json(*s.kv, c.ns));
  return {};
}

}  // namespace

void add_era_kv_routes(Router& r, Services& s) {
  r.add("GET", "/api/storage/kv/{ns}", Service::kv, Op::list, bind_services(s, kv_list),
        "List keys: ?prefix=&limit=(1-1000, default 100)&cursor=")
      .quick = true;  // reads: an LMDB read transaction, bounded by limit
  r.add("GET", "/api/storage/kv/{ns}/{key+}", Service::kv, Op::get, bind_services(s, kv_get),
        "Get a value: {value}; ?metadata=true adds metadata and expiration")
      .quick = true;
  r.add("PUT", "/api/storage/kv/{ns}/{key+}", Service::kv, Op::put, bind_services(s, kv_put),
        "Set {value, metadata?, expiration?, expirationTtl?}")
      .body_limit = uint64_t(64) << 20;  // a 25 MiB value, JSON-escaped, with room to spare
  r.add("DELETE", "/api/storage/kv/{ns}/{key+}", Service::kv, Op::del, bind_services(s, kv_delete),
        "Delete a key (succeeds when missing)");
  r.add("GET", "/api/kv/{ns}", Service::kv, Op::list, bind_services(s, kv_raw_list),
        "List keys (binary route): ?prefix=&limit=(1-1000, default 1000)&cursor=")
      .quick = true;
  r.add("POST", "/api/kv/{ns}", Service::kv, Op::get, bind_services(s, kv_bulk_get),
        "Bulk get of up to 100 keys: {keys, withMetadata?, cacheTtl?} → {key: value|null}")
      .quick = true;
  r.add("GET", "/api/kv/{ns}/{key+}", Service::kv, Op::get, bind_services(s, kv_raw_get),
        "Get a value as raw bytes; metadata in X-Era-KV-Metadata, X-Era-KV-Expiration, X-Era-KV-Cache-Status")
      .quick = true;
  r.add("PUT", "/api/kv/{ns}/{key+}", Service::kv, Op::put, bind_services(s, kv_raw_put),
        "Set a raw value: ?expiration=&expiration_ttl=, metadata as JSON in X-Era-KV-Metadata")
      .body_limit = uint64_t(32) << 20;  // a 25 MiB value; more is the engine's KV_VALUE_TOO_LARGE
  r.add("DELETE", "/api/kv/{ns}/{key+}", Service::kv, Op::del, bind_services(s, kv_delete),
        "Delete a key (succeeds when missing)");
  if (!s.settings.control_enabled) return;
  r.add("GET", "/_emu/kv/options", Service::control, Op::control, bind_services(s, get_options),
        "KV settings: {propagation_delay_ms, rate_limit_writes, namespaces}");
  r.add("PUT", "/_emu/kv/options", Service::control, Op::control, bind_services(s, put_options),
        "Change KV settings: {propagation_delay_ms?, rate_limit_writes?}");
  r.add("GET", "/_emu/kv/options/{ns}", Service::control, Op::control, bind_services(s, get_ns_options),
        "One namespace's KV settings");
  r.add("PUT", "/_emu/kv/options/{ns}", Service::control, Op::control, bind_services(s, put_ns_options),
        "Replace a namespace's KV settings: {default_ttl_s?, propagation_delay_ms?} (null = unset)");
}

}  // namespace era::api
