#include "admin/registry.h"

#include <algorithm>

#include "d1/engine.h"
#include "kv/engine.h"
#include "r2/engine.h"
#include "store/lmdb.h"

namespace era::admin {
namespace {

using nlohmann::json;
constexpr std::string_view kPrefix{"registry\0", 9};

std::string custom_key(std::string_view type, std::string_view ns, std::string_view key) {
  std::string k(kPrefix);
  k.append(type).push_back('\0');
  k.append(ns).push_back('\0');
  k.append(key);
  return k;
}

json to_json(const Resource& r) {
  json j = {{"type", r.type}, {"namespace", r.ns}, {"key", r.key},
            {"created_ms", r.created_ms}, {"updated_ms", r.updated_ms}};
  if (r.size) j["size"] = *r.size;
  if (!r.metadata.is_null()) j["metadata"] = r.metadata;
  return j;
}

std::optional<Resource> from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Resource r;
  r.type = j.value("type", "");
  r.ns = j.value("namespace", "");
  r.key = j.value("key", "");
  r.created_ms = j.value("created_ms", int64_t(0));
  r.updated_ms = j.value("updated_ms", int64_t(0));
  if (j.contains("size") && j["size"].is_number_unsigned()) r.size = j["size"].get<uint64_t>();
  if (j.contains("metadata")) r.metadata = j["metadata"];
  return r;
}

bool engine_type(std::string_view t) { return t == "kv" || t == "r2" || t == "d1"; }

}  // namespace

Result<std::vector<Resource>> Registry::list(const OpContext& ctx, const ResourceFilter& f) {
  std::vector<Resource> out;
  auto sink = [&](Resource&& r) { out.push_back(std::move(r)); };
  ERA_TRY(kv_.list_resources(ctx, f, sink));
  ERA_TRY(r2_.list_resources(ctx, f, sink));
  ERA_TRY(d1_.list_resources(ctx, f, sink));
  if (f.type.empty() || !engine_type(f.type)) {
    auto txn = db_.begin_read();
    if (!txn) return fail(txn.error());
    ERA_TRY(txn->scan(store::Table::sys, kPrefix, {}, [&](std::string_view, std::string_view v) {
      auto r = from_json(v);
      if (!r) return true;
      if ((!f.type.empty() && r->type != f.type) || (!f.ns.empty() && r->ns != f.ns) ||
          !std::string_view(r->key).starts_with(f.key_prefix))
        return true;
      out.push_back(std::move(*r));
      return true;
    }));
  }
  std::stable_sort(out.begin(), out.end(), [](const Resource& a, const Resource& b) {
    if (a.updated_ms != b.updated_ms) return a.updated_ms > b.updated_ms;
    return std::tie(a.type, a.ns, a.key) < std::tie(b.type, b.ns, b.key);
  });
  return out;
}

Result<Resource> Registry::put_custom(const OpContext& ctx, Resource r) {
  if (engine_type(r.type))
    return fail(Code::INVALID_BODY, "resources of type \"" + r.type +
                                        "\" are derived from stored data and cannot be registered");
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  std::string k = custom_key(r.type, r.ns, r.key);
  auto old = txn->get(store::Table::sys, k);
  if (!old) return fail(old.error());
  r.created_ms = ctx.now_ms;
  if (*old)
    if (auto prev = from_json(**old)) r.created_ms = prev->created_ms;
  r.updated_ms = ctx.now_ms;
  ERA_TRY(txn->put(store::Table::sys, k, to_json(r).dump()));
  ERA_TRY(txn->commit());
  return r;
}

Result<bool> Registry::remove_custom(std::string_view type, std::string_view ns, std::string_view key) {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto removed = txn->del(store::Table::sys, custom_key(type, ns, key));
  if (!removed) return fail(removed.error());
  ERA_TRY(txn->commit());
  return *removed;
}

Result<size_t> Registry::clear_custom() {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto n = txn->erase_prefix(store::Table::sys, kPrefix);
  if (!n) return fail(n.error());
  ERA_TRY(txn->commit());
  return *n;
}

}  // namespace era::admin
