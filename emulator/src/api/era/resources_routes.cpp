// /api/resources/{list,stats,register,unregister}: the ERA registry's documented paths and
// bodies (shared/spec/era-wire-protocol.md §5), computed from the engines' real state.
#include <cctype>
#include <map>
#include <tuple>

#include "admin/registry.h"
#include "api/json_io.h"
#include "api/routes.h"
#include "core/names.h"
#include "core/time_util.h"

namespace era::api {
namespace {

json resource_json(const Resource& r) {
  json j = {{"type", r.type},
            {"namespace", r.ns},
            {"key", r.key},
            {"created_at", core::iso8601_ms(r.created_ms)},
            {"updated_at", core::iso8601_ms(r.updated_ms)}};
  if (r.type == "d1") j["table"] = r.key;
  if (r.size) j["size"] = *r.size;
  if (!r.metadata.is_null()) j["metadata"] = r.metadata;
  return j;
}

// The registry's lenient paging: 0, negative or garbage → the default.
int64_t lenient_int(const Call& c, const char* name, int64_t dflt) {
  std::string raw = c.query(name);
  if (raw.empty()) return dflt;
  auto v = parse_int(raw, name);
  return v && *v > 0 ? *v : dflt;
}

Status list(Services& s, Call& c) {
  ResourceFilter f{c.query("type"), c.query("namespace"), c.query("key_prefix")};
  auto all = s.registry->list(c.ctx, f);
  if (!all) return fail(all.error());
  int64_t limit = lenient_int(c, "limit", 100);
  int64_t offset = c.query("offset").empty() ? 0 : lenient_int(c, "offset", 0);
  int64_t total = static_cast<int64_t>(all->size());
  json items = json::array();
  for (int64_t i = offset; i < total && i < offset + limit; ++i) items.push_back(resource_json((*all)[i]));
  send_json(c.res, 200, {{"resources", std::move(items)}, {"total", total}, {"offset", offset},
                         {"limit", limit}, {"has_more", offset + limit < total}});
  return {};
}

Status stats(Services& s, Call& c) {
  auto all = s.registry->list(c.ctx, {});
  if (!all) return fail(all.error());
  std::map<std::string, int64_t> by_type = {{"kv", 0}, {"d1", 0}, {"r2", 0}, {"do", 0}};
  std::map<std::string, int64_t> by_ns;
  uint64_t total_size = 0;
  for (const auto& r : *all) {
    ++by_type[r.type];
    ++by_ns[r.ns];
    total_size += r.size.value_or(0);
  }
  send_json(c.res, 200, {{"total", all->size()}, {"by_type", by_type}, {"by_namespace", by_ns},
                         {"total_size", total_size}});
  return {};
}

// Limits of a registered resource (documented in docs/http-api.md#resources).
constexpr size_t kMaxTypeBytes = 64, kMaxNameBytes = 512, kMaxKeyBytes = 1024, kMaxMetadataBytes = 64 * 1024;

Status invalid_field(const char* field, std::string why) {
  return fail(Error(Code::INVALID_BODY, "\"" + std::string(field) + "\" " + why).with_details({{"field", field}}));
}

// type: a lowercase token (kv, r2 and d1 come from stored data); namespace and key: non-empty
// UTF-8 without control characters, bounded.
Status check_resource_field(const char* field, const std::string& v, size_t max) {
  if (v.empty()) return invalid_field(field, "must not be empty");
  if (v.size() > max) return invalid_field(field, "is " + std::to_string(v.size()) + " bytes; at most " + std::to_string(max));
  if (!core::is_valid_utf8(v)) return invalid_field(field, "must be valid UTF-8");
  for (unsigned char ch : v)
    if (ch < 0x20 || ch == 0x7f) return invalid_field(field, "must not contain control characters");
  if (std::string_view(field) == "type")
    for (unsigned char ch : v)
      if (!(std::islower(ch) || std::isdigit(ch) || ch == '_' || ch == '-'))
        return invalid_field(field, "must be lowercase letters, digits, '_' or '-' (got \"" + v + "\")");
  return {};
}

Status do_register(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  Resource r;
  for (auto [field, out, max] : {std::tuple{"type", &r.type, kMaxTypeBytes}, {"namespace", &r.ns, kMaxNameBytes},
                                 {"key", &r.key, kMaxKeyBytes}}) {
    auto v = require_string(*body, field);
    if (!v) return fail(v.error());
    ERA_TRY(check_resource_field(field, *v, max));
    *out = *v;
  }
  if (auto it = body->find("size"); it != body->end() && !it->is_null()) {
    if (!it->is_number_unsigned()) return invalid_field("size", "must be a whole number of bytes, 0 or more");
    r.size = it->get<uint64_t>();
  }
  if (auto it = body->find("metadata"); it != body->end()) {
    size_t bytes = dump(*it).size();
    if (bytes > kMaxMetadataBytes)
      return invalid_field("metadata", "is " + std::to_string(bytes) + " bytes of JSON; at most " +
                                           std::to_string(kMaxMetadataBytes));
    r.metadata = *it;
  }
  auto stored = s.registry->put_custom(c.ctx, std::move(r));
  if (!stored) return fail(stored.error());
  send_json(c.res, 200, {{"success", true},
                         {"resource_id", stored->type + ":" + stored->ns + ":" + stored->key},
                         {"resource", resource_json(*stored)}});
  return {};
}

Status do_unregister(Services& s, Call& c) {
  auto body = parse_object(c.body);
  if (!body) return fail(body.error());
  std::string parts[3];
  const char* fields[3] = {"type", "namespace", "key"};
  for (int i = 0; i < 3; ++i) {
    auto v = require_string(*body, fields[i]);
    if (!v) return fail(v.error());
    parts[i] = *v;
  }
  std::string id = parts[0] + ":" + parts[1] + ":" + parts[2];
  auto removed = s.registry->remove_custom(parts[0], parts[1], parts[2]);
  if (!removed) return fail(removed.error());
  if (!*removed) {
    send_json(c.res, 404, {{"success", false}, {"error", "Resource not found"}, {"code", "NOT_FOUND"}});
    return {};
  }
  send_json(c.res, 200, {{"success", true}, {"resource_id", id}});
  return {};
}

}  // namespace

void add_resources_routes(Router& r, Services& s) {
  r.add("GET", "/api/resources/list", Service::resources, Op::list, bind_services(s, list),
        "Resources (?type=&namespace=&key_prefix=&limit=&offset=), newest first");
  r.add("GET", "/api/resources/stats", Service::resources, Op::stats, bind_services(s, stats),
        "Counts by type and namespace, total bytes");
  r.add("POST", "/api/resources/register", Service::resources, Op::put, bind_services(s, do_register),
        "Register a custom resource (types other than kv/r2/d1, e.g. do)");
  r.add("DELETE", "/api/resources/unregister", Service::resources, Op::del, bind_services(s, do_unregister),
        "Remove a custom resource {type, namespace, key}");
}

}  // namespace era::api
