// KV over the ERA routes: /api/storage/kv/{ns}[/{key}].
#include "transport.h"

namespace era::client {
namespace {

std::string kv_path(const std::string& ns, const std::string& key = {}) {
  std::string p = "/api/storage/kv/" + encode_component(ns);
  if (!key.empty()) p += "/" + encode_key(key);
  return p;
}

std::optional<int64_t> opt_int(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

json field_or_null(const json& j, const char* field) {
  auto it = j.find(field);
  return it == j.end() ? json(nullptr) : *it;
}

}  // namespace

Result<std::optional<std::string>> KvNamespace::get(const std::string& key) const {
  auto r = c_->impl().send("GET", kv_path(ns_, key));
  if (!r) return std::unexpected(r.error());
  if (is_missing(*r)) return std::optional<std::string>();
  if (!r->ok()) return std::unexpected(error_from(*r));
  auto j = json_body(*r);
  if (!j) return std::unexpected(j.error());
  auto it = j->find("value");
  if (it == j->end() || !it->is_string()) return std::unexpected(bad_reply("no \"value\" in KV get reply", r->body));
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<KvValue>> KvNamespace::get_with_metadata(const std::string& key) const {
  auto r = c_->impl().send("GET", kv_path(ns_, key) + "?metadata=true");
  if (!r) return std::unexpected(r.error());
  if (is_missing(*r)) return std::optional<KvValue>();
  if (!r->ok()) return std::unexpected(error_from(*r));
  auto j = json_body(*r);
  if (!j) return std::unexpected(j.error());
  auto it = j->find("value");
  if (it == j->end() || !it->is_string()) return std::unexpected(bad_reply("no \"value\" in KV get reply", r->body));
  return std::optional<KvValue>(
      KvValue{it->get<std::string>(), field_or_null(*j, "metadata"), opt_int(*j, "expiration")});
}

Status KvNamespace::put(const std::string& key, const std::string& value, const KvPutOptions& o) const {
  json body = {{"value", value}, {"metadata", o.metadata}};
  if (o.expiration_ttl) body["expirationTtl"] = o.expiration_ttl->count();
  if (o.expiration) body["expiration"] = *o.expiration;
  auto r = c_->impl().call("PUT", kv_path(ns_, key), &body);
  if (!r) return std::unexpected(r.error());
  return {};
}

Status KvNamespace::del(const std::string& key) const {
  auto r = c_->impl().call("DELETE", kv_path(ns_, key));
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<KvPage> KvNamespace::list(const KvListOptions& o) const {
  std::string q = query_string({{"prefix", o.prefix},
                                {"limit", o.limit ? std::to_string(*o.limit) : ""},
                                {"cursor", o.cursor}});
  auto j = c_->impl().call("GET", kv_path(ns_) + q);
  if (!j) return std::unexpected(j.error());
  KvPage page;
  auto keys = j->find("keys");
  if (keys == j->end() || !keys->is_array()) return std::unexpected(bad_reply("no \"keys\" in KV list reply", j->dump()));
  for (const auto& k : *keys)
    page.keys.push_back(KvKey{k.value("name", ""), field_or_null(k, "metadata"), opt_int(k, "expiration")});
  page.list_complete = j->value("list_complete", true);
  page.cursor = j->value("cursor", "");
  return page;
}

Result<std::vector<KvKey>> KvNamespace::list_all(const std::string& prefix, int page_size) const {
  std::vector<KvKey> all;
  KvListOptions o{prefix, page_size, ""};
  for (;;) {
    auto page = list(o);
    if (!page) return std::unexpected(page.error());
    for (auto& k : page->keys) all.push_back(std::move(k));
    if (page->list_complete || page->cursor.empty()) return all;
    o.cursor = page->cursor;
  }
}

}  // namespace era::client
