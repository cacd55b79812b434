// The /_emu control API: clock, faults, reset, snapshots, seed, inspect, events.
#include <fstream>
#include <sstream>

#include "base64.h"
#include "transport.h"

namespace era::client {
namespace {

template <class T>
Result<T> fail(Error e) { return std::unexpected(std::move(e)); }

// The array in `j` under the first of `names` present (or `j` itself when it is an array).
const json* array_in(const json& j, std::initializer_list<const char*> names) {
  if (j.is_array()) return &j;
  for (const char* n : names)
    if (auto it = j.find(n); it != j.end() && it->is_array()) return &*it;
  return nullptr;
}

// The object in `j` under `name` when wrapped ({"entry": {...}}), else `j`.
const json& unwrap(const json& j, const char* name) {
  if (auto it = j.find(name); it != j.end() && it->is_object()) return *it;
  return j;
}

std::string str(const json& j, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto it = j.find(n); it != j.end() && !it->is_null())
      return it->is_string() ? it->get<std::string>() : it->dump();
  return {};
}

std::optional<int64_t> opt_int(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

Result<ClockState> clock_from(Result<json> j) {
  if (!j) return fail<ClockState>(j.error());
  return ClockState{j->value("now_ms", int64_t{0}), j->value("now", ""), j->value("mode", "")};
}

Fault fault_from(const json& j) {
  Fault f;
  f.id = str(j, {"id"});
  f.rule = j;
  f.matched = j.value("matched", int64_t{0});
  f.fired = j.value("fired", int64_t{0});
  f.remaining = opt_int(j, "remaining");
  return f;
}

KvEntry kv_entry_from(const json& j) {
  return KvEntry{str(j, {"key", "name"}), str(j, {"value"}),
                 j.contains("metadata") ? j["metadata"] : json(nullptr), opt_int(j, "expiration")};
}

R2Object r2_object_from(const json& j) {
  R2Object o;
  o.key = str(j, {"key"});
  if (auto it = j.find("size"); it != j.end() && it->is_number()) o.size = it->get<uint64_t>();
  o.etag = str(j, {"etag"});
  o.version = str(j, {"version"});
  o.uploaded = str(j, {"uploaded"});
  if (auto it = j.find("httpMetadata"); it != j.end()) o.http_metadata = R2HttpMetadata::from_json(*it);
  if (auto it = j.find("customMetadata"); it != j.end() && it->is_object())
    for (auto m = it->begin(); m != it->end(); ++m)
      o.custom_metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
  return o;
}

std::string inspect_path(const char* service, const std::string& ns, const std::string& key = {}) {
  std::string p = std::string("/_emu/inspect/") + service + "/" + encode_component(ns);
  if (!key.empty()) p += "/" + encode_key(key);
  return p;
}

// Reads a fixture file and inlines R2 {"file": "rel/path"} entries as base64, resolving the
// path against the document's directory.
Result<json> load_fixture(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail<json>(Error{0, "FILE_ERROR", "cannot open fixture " + file.string(), nullptr});
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail<json>(Error{0, "FILE_ERROR", file.string() + " is not a JSON object", nullptr});
  auto r2 = doc.find("r2");
  if (r2 == doc.end() || !r2->is_object()) return doc;
  for (auto& [ns, objects] : r2->items()) {
    if (!objects.is_object()) continue;
    for (auto& [key, obj] : objects.items()) {
      auto f = obj.is_object() ? obj.find("file") : obj.end();
      if (!obj.is_object() || f == obj.end() || !f->is_string()) continue;
      std::filesystem::path p = f->get<std::string>();
      if (p.is_relative()) p = file.parent_path() / p;
      std::ifstream body(p, std::ios::binary);
      if (!body)
        return fail<json>(Error{0, "FILE_ERROR", "fixture r2 " + ns + "/" + key + ": cannot open " + p.string(), nullptr});
      std::stringstream bs;
      bs << body.rdbuf();
      obj.erase("file");
      obj["base64"] = base64_encode(bs.str());
    }
  }
  return doc;
}

}  // namespace

Result<json> Control::health() const { return c_->impl().call("GET", "/_emu/health"); }

Result<ClockState> Control::time() const { return clock_from(c_->impl().call("GET", "/_emu/time")); }

#define ERA_CLOCK_POST(body_json) \
  do {                                                               \
    json body = body_json;                                           \
    return clock_from(c_->impl().call("POST", "/_emu/time", &body)); \
  } while (0)

Result<ClockState> Control::freeze() const { ERA_CLOCK_POST((json{{"freeze", true}})); }
Result<ClockState> Control::resume() const { ERA_CLOCK_POST((json{{"resume", true}})); }
Result<ClockState> Control::advance(std::chrono::milliseconds by) const {
  ERA_CLOCK_POST((json{{"advance_ms", by.count()}}));
}
Result<ClockState> Control::set_time(const std::string& iso) const { ERA_CLOCK_POST((json{{"set", iso}})); }
Result<ClockState> Control::set_time_ms(int64_t ms) const { ERA_CLOCK_POST((json{{"set", ms}})); }
Result<ClockState> Control::reset_clock() const { ERA_CLOCK_POST((json{{"reset", true}})); }
#undef ERA_CLOCK_POST

Result<Fault> Control::add_fault(const FaultRule& rule) const { return add_fault(rule.to_json()); }

Result<Fault> Control::add_fault(const json& rule) const {
  auto j = c_->impl().call("POST", "/_emu/faults", &rule);
  if (!j) return fail<Fault>(j.error());
  return fault_from(unwrap(*j, "fault"));
}

Result<std::vector<Fault>> Control::faults() const {
  auto j = c_->impl().call("GET", "/_emu/faults");
  if (!j) return fail<std::vector<Fault>>(j.error());
  const json* arr = array_in(*j, {"faults"});
  if (!arr) return fail<std::vector<Fault>>(bad_reply("no \"faults\" in reply", j->dump()));
  std::vector<Fault> out;
  for (const auto& f : *arr) out.push_back(fault_from(f));
  return out;
}

Status Control::remove_fault(const std::string& id) const {
  auto j = c_->impl().call("DELETE", "/_emu/faults/" + encode_component(id));
  if (!j) return std::unexpected(j.error());
  return {};
}

Status Control::clear_faults() const {
  auto j = c_->impl().call("DELETE", "/_emu/faults");
  if (!j) return std::unexpected(j.error());
  return {};
}

Status Control::reset(const ResetOptions& o) const {
  json body = json::object();
  if (!o.service.empty()) body["service"] = o.service;
  if (!o.ns.empty()) body["namespace"] = o.ns;
  if (o.keep_faults) body["keep_faults"] = true;
  if (o.keep_clock) body["keep_clock"] = true;
  auto j = c_->impl().call("POST", "/_emu/reset", &body);
  if (!j) return std::unexpected(j.error());
  return {};
}

Status Control::save_snapshot(const std::string& name) const {
  json body = {{"name", name}};
  auto j = c_->impl().call("POST", "/_emu/snapshots", &body);
  if (!j) return std::unexpected(j.error());
  return {};
}

Result<std::vector<SnapshotInfo>> Control::snapshots() const {
  auto j = c_->impl().call("GET", "/_emu/snapshots");
  if (!j) return fail<std::vector<SnapshotInfo>>(j.error());
  const json* arr = array_in(*j, {"snapshots"});
  if (!arr) return fail<std::vector<SnapshotInfo>>(bad_reply("no \"snapshots\" in reply", j->dump()));
  std::vector<SnapshotInfo> out;
  for (const auto& s : *arr)
    out.push_back(SnapshotInfo{str(s, {"name"}), str(s, {"created"}), s.value("bytes", uint64_t{0})});
  return out;
}

Status Control::restore_snapshot(const std::string& name) const {
  json body = json::object();
  auto j = c_->impl().call("POST", "/_emu/snapshots/" + encode_component(name) + "/restore", &body);
  if (!j) return std::unexpected(j.error());
  return {};
}

Status Control::delete_snapshot(const std::string& name) const {
  auto j = c_->impl().call("DELETE", "/_emu/snapshots/" + encode_component(name));
  if (!j) return std::unexpected(j.error());
  return {};
}

Result<json> Control::seed(const json& document) const {
  return c_->impl().call("POST", "/_emu/seed", &document);
}

Result<json> Control::seed_file(const std::filesystem::path& file) const {
  auto doc = load_fixture(file);
  if (!doc) return doc;
  return seed(*doc);
}

Result<std::vector<KvEntry>> Control::kv_entries(const std::string& ns) const {
  auto j = c_->impl().call("GET", inspect_path("kv", ns));
  if (!j) return fail<std::vector<KvEntry>>(j.error());
  const json* arr = array_in(*j, {"entries", "keys", "items"});
  if (!arr) return fail<std::vector<KvEntry>>(bad_reply("no \"entries\" in inspect reply", j->dump()));
  std::vector<KvEntry> out;
  for (const auto& e : *arr) out.push_back(kv_entry_from(e));
  return out;
}

Result<std::optional<KvEntry>> Control::kv_entry(const std::string& ns, const std::string& key) const {
  auto r = c_->impl().send("GET", inspect_path("kv", ns, key));
  if (!r) return fail<std::optional<KvEntry>>(r.error());
  if (is_missing(*r)) return std::optional<KvEntry>();
  if (!r->ok()) return fail<std::optional<KvEntry>>(error_from(*r));
  auto j = json_body(*r);
  if (!j) return fail<std::optional<KvEntry>>(j.error());
  KvEntry e = kv_entry_from(unwrap(*j, "entry"));
  if (e.key.empty()) e.key = key;
  return std::optional<KvEntry>(std::move(e));
}

Result<std::vector<R2Object>> Control::r2_objects(const std::string& ns) const {
  auto j = c_->impl().call("GET", inspect_path("r2", ns));
  if (!j) return fail<std::vector<R2Object>>(j.error());
  const json* arr = array_in(*j, {"objects", "entries"});
  if (!arr) return fail<std::vector<R2Object>>(bad_reply("no \"objects\" in inspect reply", j->dump()));
  std::vector<R2Object> out;
  for (const auto& o : *arr) out.push_back(r2_object_from(o));
  return out;
}

Result<std::optional<R2Object>> Control::r2_object(const std::string& ns, const std::string& key,
                                                   bool with_body) const {
  auto r = c_->impl().send("GET", inspect_path("r2", ns, key) + (with_body ? "?body=true" : ""));
  if (!r) return fail<std::optional<R2Object>>(r.error());
  if (is_missing(*r)) return std::optional<R2Object>();
  if (!r->ok()) return fail<std::optional<R2Object>>(error_from(*r));
  auto j = json_body(*r);
  if (!j) return fail<std::optional<R2Object>>(j.error());
  const json& obj = unwrap(*j, "object");
  R2Object o = r2_object_from(obj);
  if (o.key.empty()) o.key = key;
  if (with_body) {
    std::string b64 = str(obj, {"body", "base64", "content"});
    auto body = base64_decode(b64);
    if (!body) return fail<std::optional<R2Object>>(bad_reply("inspect body is not base64", b64));
    o.body = std::move(*body);
  }
  return std::optional<R2Object>(std::move(o));
}

Result<std::vector<D1Table>> Control::d1_tables(const std::string& ns) const {
  auto j = c_->impl().call("GET", inspect_path("d1", ns));
  if (!j) return fail<std::vector<D1Table>>(j.error());
  const json* arr = array_in(*j, {"tables"});
  if (!arr) return fail<std::vector<D1Table>>(bad_reply("no \"tables\" in inspect reply", j->dump()));
  std::vector<D1Table> out;
  for (const auto& t : *arr) {
    D1Table d{str(t, {"name"}), str(t, {"sql", "schema"}), json::array()};
    if (auto it = t.find("columns"); it != t.end() && it->is_array()) d.columns = *it;
    out.push_back(std::move(d));
  }
  return out;
}

Result<json> Control::d1_rows(const std::string& ns, const std::string& table) const {
  auto j = c_->impl().call("GET", inspect_path("d1", ns, table));
  if (!j) return j;
  const json* arr = array_in(*j, {"rows", "results"});
  if (!arr) return fail<json>(bad_reply("no \"rows\" in inspect reply", j->dump()));
  return *arr;
}

Result<json> Control::d1_query(const std::string& ns, const std::string& sql, const json& params) const {
  json body = {{"sql", sql}, {"params", params.is_null() ? json::array() : params}};
  auto j = c_->impl().call("POST", inspect_path("d1", ns) + "/query", &body);
  if (!j) return j;
  const json* arr = array_in(*j, {"results"});
  if (!arr) return fail<json>(bad_reply("no \"results\" in inspect reply", j->dump()));
  return *arr;
}

Result<EventPage> Control::events(int64_t since) const {
  auto j = c_->impl().call("GET", "/_emu/events" + (since ? "?since=" + std::to_string(since) : std::string()));
  if (!j) return fail<EventPage>(j.error());
  const json* arr = array_in(*j, {"events"});
  if (!arr) return fail<EventPage>(bad_reply("no \"events\" in reply", j->dump()));
  EventPage page;
  for (const auto& e : *arr) {
    Event ev;
    ev.seq = e.value("seq", int64_t{0});
    ev.time = str(e, {"time"});
    ev.service = str(e, {"service"});
    ev.op = str(e, {"op"});
    ev.ns = str(e, {"namespace"});
    ev.key = str(e, {"key"});
    ev.status = e.value("status", 0);
    if (auto it = e.find("duration_ms"); it != e.end() && it->is_number()) ev.duration_ms = it->get<double>();
    if (auto it = e.find("fault"); it != e.end()) ev.fault = *it;
    page.events.push_back(std::move(ev));
  }
  page.next = j->value("next", since);
  return page;
}

}  // namespace era::client
