// JSON shapes of the value types (wire names are the Workers/R2 camelCase ones).
#include "era/client/types.h"

namespace era::client {
namespace {
const std::pair<const char*, std::string R2HttpMetadata::*> kHttpFields[] = {
    {"contentType", &R2HttpMetadata::content_type},
    {"contentLanguage", &R2HttpMetadata::content_language},
    {"contentDisposition", &R2HttpMetadata::content_disposition},
    {"contentEncoding", &R2HttpMetadata::content_encoding},
    {"cacheControl", &R2HttpMetadata::cache_control},
    {"cacheExpiry", &R2HttpMetadata::cache_expiry},
};
}  // namespace

json R2HttpMetadata::to_json() const {
  json j = json::object();
  for (auto [name, field] : kHttpFields)
    if (!(this->*field).empty()) j[name] = this->*field;
  return j;
}

R2HttpMetadata R2HttpMetadata::from_json(const json& j) {
  R2HttpMetadata m;
  if (!j.is_object()) return m;
  for (auto [name, field] : kHttpFields)
    if (auto it = j.find(name); it != j.end() && it->is_string()) m.*field = it->get<std::string>();
  return m;
}

std::string R2Range::header() const {
  if (suffix) return "bytes=-" + std::to_string(*suffix);
  uint64_t start = offset.value_or(0);
  std::string h = "bytes=" + std::to_string(start) + "-";
  if (length && *length > 0) h += std::to_string(start + *length - 1);
  return h;
}

json FaultAction::to_json() const {
  json j = fields.is_object() ? fields : json::object();
  j["type"] = type;
  return j;
}

FaultAction FaultAction::error(int status, std::string code, std::string message) {
  FaultAction a{"error", {{"status", status}}};
  if (!code.empty()) a.fields["code"] = std::move(code);
  if (!message.empty()) a.fields["message"] = std::move(message);
  return a;
}
FaultAction FaultAction::throttle() { return {"throttle", json::object()}; }
FaultAction FaultAction::latency(std::chrono::milliseconds ms, std::chrono::milliseconds jitter) {
  FaultAction a{"latency", {{"ms", ms.count()}}};
  if (jitter.count()) a.fields["jitter_ms"] = jitter.count();
  return a;
}
FaultAction FaultAction::timeout(std::chrono::milliseconds hold) {
  return {"timeout", {{"hold_ms", hold.count()}}};
}
FaultAction FaultAction::reset() { return {"reset", json::object()}; }
FaultAction FaultAction::truncate(uint64_t after_bytes) {
  return {"truncate", {{"after_bytes", after_bytes}}};
}
FaultAction FaultAction::stale() { return {"stale", json::object()}; }
FaultAction FaultAction::lost_ack() { return {"lost_ack", json::object()}; }
FaultAction FaultAction::ok() { return {"ok", json::object()}; }

json FaultRule::to_json() const {
  json j = extra.is_object() ? extra : json::object();
  auto put = [&](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put("service", service);
  put("op", op);
  put("namespace", ns);
  put("key", key);
  put("location", location);
  put("client", client);
  if (action) j["action"] = action->to_json();
  if (!sequence.empty()) {
    j["sequence"] = json::array();
    for (const auto& a : sequence) j["sequence"].push_back(a.to_json());
  }
  if (probability) j["probability"] = *probability;
  if (seed) j["seed"] = *seed;
  if (after) j["after"] = *after;
  if (times) j["times"] = *times;
  return j;
}

}  // namespace era::client
