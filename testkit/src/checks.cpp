#include "era/testkit/checks.h"

#include <cstdlib>
#include <functional>

#include "render.h"

namespace era::testkit {
namespace {

std::string quote(const std::string& s) { return render::json(nlohmann::json(s)); }

Check result(bool ok, std::string subject, std::string expected, std::string found,
             const std::function<std::string()>& state) {
  Check c{ok, std::move(subject), std::move(expected), {}, {}};
  if (!ok) {
    c.found = std::move(found);
    c.state = state();
  }
  return c;
}

// Every field of `subset` is present in `row` with an equal value.
bool row_contains(const nlohmann::json& row, const nlohmann::json& subset) {
  if (!row.is_object() || !subset.is_object()) return row == subset;
  for (auto it = subset.begin(); it != subset.end(); ++it) {
    auto f = row.find(it.key());
    if (f == row.end() || *f != *it) return false;
  }
  return true;
}

}  // namespace

std::string Check::message() const {
  if (ok) return subject + " " + expected;
  std::string m = "expected " + subject + " " + expected + ", but " + found;
  if (!state.empty()) m += "\n  " + state;
  return m;
}

// ---- KV ----

std::string KvKeyExpectation::describe() const {
  if (!present) return "to lack key " + quote(key);
  std::string d = "to have key " + quote(key);
  if (value) d += " with value " + quote(*value);
  if (metadata) d += " with metadata " + render::json(*metadata);
  if (expires_in) d += " expiring in " + std::to_string(expires_in->count()) + "s";
  else if (expires) d += *expires ? " with an expiration" : " without an expiration";
  return d;
}

Check check(const KvView& kv, const KvKeyExpectation& e) {
  auto entry = kv.get(e.key);
  std::string found;
  bool ok = true;
  if (!e.present) {
    ok = !entry;
    if (entry) found = "found " + render::value(e.key) + "=" + render::value(entry->value);
  } else if (!entry) {
    ok = false;
    found = "the key is missing";
  } else {
    std::string shown = render::value(e.key) + "=" + render::value(entry->value);
    if (e.value && entry->value != *e.value) ok = false, found = "found " + shown;
    if (ok && e.metadata && entry->metadata != *e.metadata)
      ok = false, found = "found metadata " + render::json(entry->metadata);
    if (ok && e.expires && entry->expiration.has_value() != *e.expires)
      ok = false, found = entry->expiration ? "it has an expiration" : "it has no expiration";
    if (ok && e.expires_in) {
      if (!entry->expiration) {
        ok = false, found = "it has no expiration";
      } else {
        int64_t now_ms = kv.now_ms();
        int64_t want_ms = now_ms + e.expires_in->count() * 1000;
        if (std::llabs(*entry->expiration * 1000 - want_ms) > 1000)
          ok = false, found = "it expires in " + render::expires_in(*entry->expiration, now_ms);
      }
    }
  }
  return result(ok, "kv " + kv.ns(), e.describe(), found, [&] { return kv.dump(); });
}

}  // namespace era::testkit

namespace era::testkit {

// ---- R2 ----

std::string R2ObjectExpectation::describe() const {
  if (!present) return "to lack object " + quote(key);
  std::string d = "to have object " + quote(key);
  if (body) d += " with body " + render::value(*body);
  if (size) d += " of " + std::to_string(*size) + " bytes";
  if (content_type) d += " with content type " + quote(*content_type);
  for (const auto& [k, v] : custom_metadata) d += " with metadata " + render::value(k) + "=" + render::value(v);
  return d;
}

Check check(const R2View& r2, const R2ObjectExpectation& e) {
  auto obj = r2.get(e.key, e.body.has_value());
  std::string found;
  bool ok = true;
  if (!e.present) {
    ok = !obj;
    if (obj) found = "found " + render::value(e.key) + " (" + std::to_string(obj->size) + " B)";
  } else if (!obj) {
    ok = false;
    found = "the object is missing";
  } else {
    if (e.body && obj->body != *e.body) ok = false, found = "its body is " + render::value(obj->body);
    if (ok && e.size && obj->size != *e.size)
      ok = false, found = "its size is " + std::to_string(obj->size);
    if (ok && e.content_type && obj->http_metadata.content_type != *e.content_type)
      ok = false, found = "its content type is " + quote(obj->http_metadata.content_type);
    for (const auto& [k, v] : e.custom_metadata) {
      if (!ok) break;
      auto it = obj->custom_metadata.find(k);
      if (it == obj->custom_metadata.end()) ok = false, found = "metadata " + render::value(k) + " is missing";
      else if (it->second != v) ok = false, found = "metadata " + render::value(k) + "=" + render::value(it->second);
    }
  }
  return result(ok, "r2 " + r2.ns(), e.describe(), found, [&] { return r2.dump(); });
}

// ---- D1 ----

std::string D1RowsExpectation::describe() const {
  std::string where = sql.empty() ? "table " + table : "query " + quote(sql);
  switch (mode) {
    case Mode::has_table: return "to have table " + table;
    case Mode::count: return "to have " + std::to_string(count) + " row(s) in " + where;
    case Mode::contains_row: return "to have a row " + render::json(rows) + " in " + where;
    case Mode::exactly: break;
  }
  return "to have rows " + render::json(rows) + " in " + where;
}

Check check(const D1View& d1, const D1RowsExpectation& e) {
  std::string subject = "d1 " + d1.ns();
  if (e.mode == D1RowsExpectation::Mode::has_table) {
    bool ok = d1.has_table(e.table);
    return result(ok, subject, e.describe(), "there is no such table", [&] { return d1.dump(); });
  }
  nlohmann::json rows = e.sql.empty() ? d1.rows(e.table) : d1.query(e.sql, e.params);
  bool ok = false;
  std::string found;
  switch (e.mode) {
    case D1RowsExpectation::Mode::count:
      ok = rows.size() == e.count;
      found = "found " + std::to_string(rows.size());
      break;
    case D1RowsExpectation::Mode::contains_row:
      for (const auto& r : rows) ok = ok || row_contains(r, e.rows);
      found = "no row matches";
      break;
    default:
      ok = rows == e.rows;
      found = "found " + render::json(rows);
      break;
  }
  auto state = [&] {
    if (!e.sql.empty()) return "d1 " + d1.ns() + " query: " + render::json(rows);
    return d1.dump(e.table);
  };
  return result(ok, subject, e.describe(), found, state);
}

// ---- shorthands ----

Check kv_has(const KvView& kv, const std::string& key) { return check(kv, KvKeyExpectation{.key = key}); }
Check kv_has(const KvView& kv, const std::string& key, const std::string& value) {
  return check(kv, KvKeyExpectation{.key = key, .value = value});
}
Check kv_lacks(const KvView& kv, const std::string& key) {
  return check(kv, KvKeyExpectation{.key = key, .present = false});
}
Check r2_has(const R2View& r2, const std::string& key) { return check(r2, R2ObjectExpectation{.key = key}); }
Check r2_has(const R2View& r2, const std::string& key, const std::string& body) {
  return check(r2, R2ObjectExpectation{.key = key, .body = body});
}
Check r2_lacks(const R2View& r2, const std::string& key) {
  return check(r2, R2ObjectExpectation{.key = key, .present = false});
}
Check d1_has_table(const D1View& d1, const std::string& table) {
  return check(d1, D1RowsExpectation{.mode = D1RowsExpectation::Mode::has_table, .table = table});
}
Check d1_rows_are(const D1View& d1, const std::string& table, const nlohmann::json& rows) {
  return check(d1, D1RowsExpectation{.table = table, .rows = rows});
}
Check d1_has_row(const D1View& d1, const std::string& table, const nlohmann::json& subset) {
  return check(d1, D1RowsExpectation{.mode = D1RowsExpectation::Mode::contains_row, .table = table, .rows = subset});
}
Check d1_row_count(const D1View& d1, const std::string& table, size_t n) {
  return check(d1, D1RowsExpectation{.mode = D1RowsExpectation::Mode::count, .table = table, .count = n});
}
Check d1_query_returns(const D1View& d1, const std::string& sql, const nlohmann::json& rows,
                       const nlohmann::json& params) {
  return check(d1, D1RowsExpectation{.sql = sql, .params = params, .rows = rows});
}

}  // namespace era::testkit
