#include "era/testkit/views.h"

#include "render.h"

namespace era::testkit {

// ---- KV ----

std::vector<client::KvEntry> KvView::entries() const {
  return unwrap(c_->control().kv_entries(ns_), "inspect kv");
}

std::optional<client::KvEntry> KvView::get(const std::string& key) const {
  return unwrap(c_->control().kv_entry(ns_, key), "inspect kv key");
}

std::string KvView::dump() const {
  auto all = entries();
  std::string out = "kv " + ns_ + ":";
  if (all.empty()) return out + " (empty)";
  int64_t now_ms = 0;
  bool any_exp = false;
  for (const auto& e : all) any_exp |= e.expiration.has_value();
  if (any_exp) now_ms = this->now_ms();
  for (const auto& e : all) {
    out += " " + render::value(e.key) + "=" + render::value(e.value);
    if (e.expiration) out += "[exp=" + render::expires_in(*e.expiration, now_ms) + "]";
    if (!e.metadata.is_null()) out += "[meta=" + render::json(e.metadata) + "]";
  }
  return out;
}

int64_t KvView::now_ms() const { return unwrap(c_->control().time(), "clock").now_ms; }

void KvView::put(const std::string& key, const std::string& value, const client::KvPutOptions& o) const {
  unwrap(c_->kv(ns_).put(key, value, o), "kv put");
}
void KvView::del(const std::string& key) const { unwrap(c_->kv(ns_).del(key), "kv delete"); }

// ---- R2 ----

std::vector<client::R2Object> R2View::objects() const {
  return unwrap(c_->control().r2_objects(ns_), "inspect r2");
}

std::optional<client::R2Object> R2View::get(const std::string& key, bool with_body) const {
  return unwrap(c_->control().r2_object(ns_, key, with_body), "inspect r2 object");
}

std::string R2View::dump() const {
  auto all = objects();
  std::string out = "r2 " + ns_ + ":";
  if (all.empty()) return out + " (empty)";
  for (const auto& o : all) {
    out += " " + render::value(o.key) + "(" + std::to_string(o.size) + " B";
    if (!o.http_metadata.content_type.empty()) out += ", " + o.http_metadata.content_type;
    out += ")";
    if (!o.custom_metadata.empty()) {
      out += "[meta";
      for (const auto& [k, v] : o.custom_metadata) out += " " + render::value(k) + "=" + render::value(v);
      out += "]";
    }
  }
  return out;
}

void R2View::put(const std::string& key, const std::string& bytes, const client::R2PutOptions& o) const {
  unwrap(c_->r2(ns_).put(key, bytes, o), "r2 put");
}
void R2View::del(const std::string& key) const { unwrap(c_->r2(ns_).del(key), "r2 delete"); }

// ---- D1 ----

std::vector<client::D1Table> D1View::tables() const {
  return unwrap(c_->control().d1_tables(ns_), "inspect d1");
}

bool D1View::has_table(const std::string& table) const {
  for (const auto& t : tables())
    if (t.name == table) return true;
  return false;
}

nlohmann::json D1View::rows(const std::string& table) const {
  return unwrap(c_->control().d1_rows(ns_, table), "inspect d1 rows");
}

nlohmann::json D1View::query(const std::string& sql, const nlohmann::json& params) const {
  return unwrap(c_->control().d1_query(ns_, sql, params), "inspect d1 query");
}

void D1View::exec(const std::string& sql, const nlohmann::json& params) const {
  unwrap(c_->d1(ns_).exec(sql, params), "d1 exec");
}

std::string D1View::dump() const {
  auto all = tables();
  std::string out = "d1 " + ns_ + ":";
  if (all.empty()) return out + " (no tables)";
  for (const auto& t : all) out += " " + t.name + "(" + std::to_string(rows(t.name).size()) + " rows)";
  return out;
}

std::string D1View::dump(const std::string& table) const {
  auto r = rows(table);
  std::string out = "d1 " + ns_ + "." + table + ":";
  if (r.empty()) return out + " (no rows)";
  for (const auto& row : r) out += " " + render::json(row);
  return out;
}

}  // namespace era::testkit
