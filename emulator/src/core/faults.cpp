#include "core/faults.h"

#include <algorithm>

#include "core/crypto.h"
#include "core/ops.h"
#include "core/time_util.h"

namespace era::core {
namespace {

using json = nlohmann::json;

constexpr int64_t kMaxHoldMs = 120'000;  // latency/timeout sleep real time: keep it bounded

std::unexpected<Error> bad(const std::string& field, const std::string& msg) {
  return fail(Error(Code::INVALID_FAULT, "invalid fault rule: " + msg).with_details({{"field", field}}));
}

// What a rule may name: every service and op of core/ops.h but the never-faulted control plane.
std::string faultable_list(bool ops) {
  std::string out;
  auto add = [&](std::string_view n) {
    if (n != "control") out += std::string(out.empty() ? "" : ", ") + std::string(n);
  };
  if (ops)
    for (Op o : all_ops()) add(to_string(o));
  else
    for (Service v : all_services()) add(to_string(v));
  return out + " or *";
}

bool faultable(const std::string& name, bool op) {
  if (name == "*") return true;
  if (op) return parse_op(name) && name != "control";
  return parse_service(name) && name != "control";
}

template <size_t N>
bool one_of(const std::string& s, const char* (&set)[N]) {
  return std::find_if(std::begin(set), std::end(set), [&](const char* x) { return s == x; }) !=
         std::end(set);
}

Result<int64_t> int_field(const json& obj, const char* field, const std::string& path, int64_t def,
                          int64_t lo, int64_t hi) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return def;
  if (!it->is_number_integer())
    return bad(path + field, std::string("\"") + field + "\" must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi)
    return bad(path + field, std::string("\"") + field + "\" must be between " + std::to_string(lo) +
                                 " and " + std::to_string(hi));
  return v;
}

Result<std::string> str_field(const json& obj, const char* field, const std::string& path) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad(path + field, std::string("\"") + field + "\" must be a string");
  return it->get<std::string>();
}

Result<FaultAction> parse_action(const json& a, const std::string& path) {
  using T = FaultAction::Type;
  if (!a.is_object())
    return bad(path, path + " must be an object such as {\"type\":\"error\",\"status\":503}");
  auto tit = a.find("type");
  if (tit == a.end() || !tit->is_string())
    return bad(path + ".type", path + ".type is required: one of error, throttle, latency, timeout, "
                               "reset, truncate, stale, lost_ack, ok");
  std::string type = tit->get<std::string>();
  FaultAction out;
  struct Known { const char* name; T type; std::vector<const char*> fields; };
  static const Known kKnown[] = {
      {"error", T::error, {"status", "code", "message"}},
      {"throttle", T::throttle, {"status", "code", "message", "retry_after"}},
      {"latency", T::latency, {"ms", "jitter_ms"}},
      {"timeout", T::timeout, {"hold_ms", "status", "code", "message"}},
      {"reset", T::reset, {}},
      {"truncate", T::truncate, {"after_bytes"}},
      {"stale", T::stale, {}},
      {"lost_ack", T::lost_ack, {"status", "code", "message"}},
      {"ok", T::ok, {}},
  };
  const Known* k = nullptr;
  for (const auto& c : kKnown)
    if (type == c.name) k = &c;
  if (!k)
    return bad(path + ".type", "unknown action type \"" + type + "\" (use error, throttle, latency, "
                               "timeout, reset, truncate, stale, lost_ack or ok)");
  out.type = k->type;
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (it.key() == "type") continue;
    bool ok = std::any_of(k->fields.begin(), k->fields.end(),
                          [&](const char* f) { return it.key() == f; });
    if (!ok) return bad(path + "." + it.key(), "field \"" + it.key() + "\" does not apply to a " + type + " action");
  }
  std::string p = path + ".";
  auto status = int_field(a, "status", p, 0, 400, 599);
  if (!status) return fail(status.error());
  out.status = static_cast<int>(*status);
  auto code = str_field(a, "code", p);
  if (!code) return fail(code.error());
  out.code = *code;
  auto msg = str_field(a, "message", p);
  if (!msg) return fail(msg.error());
  out.message = *msg;
  auto ms = int_field(a, "ms", p, 0, 0, kMaxHoldMs);
  if (!ms) return fail(ms.error());
  out.ms = *ms;
  auto jitter = int_field(a, "jitter_ms", p, 0, 0, kMaxHoldMs);
  if (!jitter) return fail(jitter.error());
  out.jitter_ms = *jitter;
  auto hold = int_field(a, "hold_ms", p, 5000, 0, kMaxHoldMs);
  if (!hold) return fail(hold.error());
  out.hold_ms = out.type == T::timeout ? *hold : 0;
  auto after = int_field(a, "after_bytes", p, 0, 0, INT64_MAX);
  if (!after) return fail(after.error());
  out.after_bytes = *after;
  auto retry = int_field(a, "retry_after", p, 1, 0, 86400);
  if (!retry) return fail(retry.error());
  out.retry_after_s = *retry;
  return out;
}

// An instant: epoch ms or ISO-8601.
std::optional<int64_t> instant(const json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_string()) return parse_iso8601(j.get<std::string>());
  return std::nullopt;
}

// A duration: ms or "90s".
std::optional<int64_t> duration(const json& j) {
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return j.get<int64_t>();
  if (j.is_string()) return parse_duration_ms(j.get<std::string>());
  return std::nullopt;
}

double draw(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

}  // namespace

std::string_view FaultAction::type_name(Type t) {
  switch (t) {
    case Type::error: return "error";
    case Type::throttle: return "throttle";
    case Type::latency: return "latency";
    case Type::timeout: return "timeout";
    case Type::reset: return "reset";
    case Type::truncate: return "truncate";
    case Type::stale: return "stale";
    case Type::lost_ack: return "lost_ack";
    case Type::ok: return "ok";
  }
  return "?";
}

json FaultAction::to_json() const {
  json j = {{"type", std::string(type_name(type))}};
  switch (type) {
    case Type::error:
    case Type::lost_ack:
    case Type::throttle:
    case Type::timeout:
      if (status) j["status"] = status;
      if (!code.empty()) j["code"] = code;
      if (!message.empty()) j["message"] = message;
      if (type == Type::throttle) j["retry_after"] = retry_after_s;
      if (type == Type::timeout) j["hold_ms"] = hold_ms;
      break;
    case Type::latency:
      j["ms"] = ms;
      if (jitter_ms) j["jitter_ms"] = jitter_ms;
      break;
    case Type::truncate: j["after_bytes"] = after_bytes; break;
    default: break;
  }
  return j;
}

bool FaultRule::retired() const {
  if (times && fired >= *times) return true;
  if (!sequence.empty() && step >= sequence.size()) return true;
  return false;
}

std::optional<int64_t> FaultRule::remaining() const {
  std::optional<int64_t> r;
  if (times) r = std::max<int64_t>(0, *times - fired);
  if (!sequence.empty()) {
    int64_t left = int64_t(sequence.size() - std::min(step, sequence.size()));
    r = r ? std::min(*r, left) : left;
  }
  return r;
}

json FaultRule::to_json() const {
  json j = {{"id", id}, {"service", service}, {"op", op}, {"namespace", ns}, {"key", key}};
  if (!location.empty()) j["location"] = location;
  if (!client.empty()) j["client"] = client;
  if (action) j["action"] = action->to_json();
  if (!sequence.empty()) {
    json s = json::array();
    for (const auto& a : sequence) s.push_back(a.to_json());
    j["sequence"] = std::move(s);
  }
  j["probability"] = probability;
  j["seed"] = seed;
  j["after"] = after;
  j["times"] = times ? json(*times) : json(nullptr);
  if (active_from_ms || active_until_ms) {
    json w = json::object();
    if (active_from_ms) w["from"] = iso8601_ms(*active_from_ms);
    if (active_until_ms) w["until"] = iso8601_ms(*active_until_ms);
    j["active_for"] = std::move(w);
  }
  j["matched"] = matched;
  j["fired"] = fired;
  auto rem = remaining();
  j["remaining"] = rem ? json(*rem) : json(nullptr);
  return j;
}

bool glob_match(std::string_view p, std::string_view t) {
  if (p.empty()) return true;
  // Iterative matcher with single backtrack point for '*': linear in practice.
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Result<FaultRule> parse_fault_rule(const json& doc, int64_t now_ms) {
  if (!doc.is_object()) return bad("", "the rule must be a JSON object");
  static const char* kFields[] = {"service", "op", "namespace", "key", "location", "client",
                                  "action", "sequence", "probability", "seed", "after", "times",
                                  "active_for", "name", "description"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!one_of(it.key(), kFields))
      return bad(it.key(), "unknown field \"" + it.key() + "\" (fields: service, op, namespace, key, "
                           "location, client, action | sequence, probability, seed, after, times, active_for)");
  }
  FaultRule r;
  r.created_ms = now_ms;
  auto text = [&](const char* field, std::string& out) -> Status {
    auto v = str_field(doc, field, "");
    if (!v) return fail(v.error());
    if (!v->empty()) out = *v;
    return {};
  };
  ERA_TRY(text("service", r.service));
  ERA_TRY(text("op", r.op));
  ERA_TRY(text("namespace", r.ns));
  ERA_TRY(text("key", r.key));
  ERA_TRY(text("location", r.location));
  ERA_TRY(text("client", r.client));
  if (!faultable(r.service, false))
    return bad("service", "\"service\" must be one of " + faultable_list(false));
  if (r.op == "del") r.op = "delete";
  if (!faultable(r.op, true)) return bad("op", "unknown \"op\" \"" + r.op + "\" (" + faultable_list(true) + ")");

  bool has_action = doc.contains("action") && !doc["action"].is_null();
  bool has_seq = doc.contains("sequence") && !doc["sequence"].is_null();
  if (has_action == has_seq)
    return bad("action", "give exactly one of \"action\" ({\"type\":\"error\",...}) or \"sequence\" ([...])");
  if (has_action) {
    auto a = parse_action(doc["action"], "action");
    if (!a) return fail(a.error());
    r.action = std::move(*a);
  } else {
    const json& s = doc["sequence"];
    if (!s.is_array() || s.empty() || s.size() > 10000)
      return bad("sequence", "\"sequence\" must be a non-empty array of actions (at most 10000)");
    for (size_t i = 0; i < s.size(); ++i) {
      auto a = parse_action(s[i], "sequence[" + std::to_string(i) + "]");
      if (!a) return fail(a.error());
      r.sequence.push_back(std::move(*a));
    }
  }

  if (auto it = doc.find("probability"); it != doc.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0.0 || it->get<double>() > 1.0)
      return bad("probability", "\"probability\" must be a number from 0 to 1");
    r.probability = it->get<double>();
  }
  if (auto it = doc.find("seed"); it != doc.end() && !it->is_null()) {
    if (it->is_number_unsigned()) r.seed = it->get<uint64_t>();
    else if (it->is_number_integer() && it->get<int64_t>() >= 0) r.seed = uint64_t(it->get<int64_t>());
    else return bad("seed", "\"seed\" must be a non-negative integer");
  } else {
    std::string b = random_bytes(6);  // 48 bits: exact in a JSON double, so it round-trips
    for (unsigned char c : b) r.seed = (r.seed << 8) | c;
  }
  r.rng.seed(r.seed);
  auto after = int_field(doc, "after", "", 0, 0, INT64_MAX);
  if (!after) return fail(after.error());
  r.after = *after;
  if (auto it = doc.find("times"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1)
      return bad("times", "\"times\" must be a positive integer (or null for unlimited)");
    r.times = it->get<int64_t>();
  }
  if (auto it = doc.find("active_for"); it != doc.end() && !it->is_null()) {
    const char* shape = "\"active_for\" must be a duration from now (ms or \"30s\") or "
                        "{\"from\": <ISO-8601|ms>, \"until\": <ISO-8601|ms>} or {\"ms\": N}";
    if (it->is_object()) {
      for (auto f = it->begin(); f != it->end(); ++f) {
        if (f.key() == "from") {
          r.active_from_ms = instant(*f);
          if (!r.active_from_ms) return bad("active_for.from", shape);
        } else if (f.key() == "until") {
          r.active_until_ms = instant(*f);
          if (!r.active_until_ms) return bad("active_for.until", shape);
        } else if (f.key() == "ms" || f.key() == "duration") {
          auto d = duration(*f);
          if (!d) return bad("active_for." + f.key(), shape);
          r.active_until_ms = (r.active_from_ms ? *r.active_from_ms : now_ms) + *d;
          if (!r.active_from_ms) r.active_from_ms = now_ms;
        } else {
          return bad("active_for." + f.key(), shape);
        }
      }
    } else {
      auto d = duration(*it);
      if (!d) return bad("active_for", shape);
      r.active_from_ms = now_ms;
      r.active_until_ms = now_ms + *d;
    }
    if (r.active_from_ms && r.active_until_ms && *r.active_until_ms < *r.active_from_ms)
      return bad("active_for", "\"active_for\" ends before it starts");
  }
  return r;
}

Result<json> FaultSet::add(FaultRule rule) {
  std::lock_guard lock(mu_);
  if (rules_.size() >= kMaxRules)
    return fail(Error(Code::INVALID_FAULT, "at most " + std::to_string(kMaxRules) +
                                               " fault rules at once: remove some (DELETE /_emu/faults/{id}) "
                                               "or all (DELETE /_emu/faults)")
                    .with_details({{"max_rules", kMaxRules}}));
  rule.id = "f" + std::to_string(next_id_++);
  rules_.push_back(std::move(rule));
  count_.store(rules_.size());
  return rules_.back().to_json();
}

json FaultSet::list() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& r : rules_) out.push_back(r.to_json());
  return out;
}

bool FaultSet::remove(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(rules_.begin(), rules_.end(), [&](const FaultRule& r) { return r.id == id; });
  if (it == rules_.end()) return false;
  rules_.erase(it);
  count_.store(rules_.size());
  return true;
}

size_t FaultSet::clear() {
  std::lock_guard lock(mu_);
  size_t n = rules_.size();
  rules_.clear();
  count_.store(0);
  return n;
}

bool FaultSet::empty() const { return count_.load(std::memory_order_relaxed) == 0; }

std::optional<FaultDecision> FaultSet::decide(const FaultQuery& q) {
  if (empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  for (FaultRule& r : rules_) {
    if (r.retired()) continue;
    if (r.service != "*" && r.service != q.service) continue;
    if (r.op != "*" && r.op != q.op) continue;
    if (r.ns != "*" && !glob_match(r.ns, q.ns)) continue;
    if (r.key != "*" && !glob_match(r.key, q.key)) continue;
    if (!r.location.empty() && r.location != q.location) continue;
    if (!r.client.empty() && r.client != q.client) continue;
    if (r.active_from_ms && q.now_ms < *r.active_from_ms) continue;
    if (r.active_until_ms && q.now_ms >= *r.active_until_ms) continue;
    ++r.matched;
    if (r.matched <= r.after) continue;
    if (r.probability < 1.0 && draw(r.rng) >= r.probability) continue;
    FaultDecision d;
    d.rule_id = r.id;
    d.action = r.sequence.empty() ? *r.action : r.sequence[r.step++];
    ++r.fired;  // an "ok" step counts too: it is a scripted decision
    if (d.action.type == FaultAction::Type::latency && d.action.jitter_ms > 0)
      d.extra_delay_ms = int64_t(r.rng() % uint64_t(d.action.jitter_ms + 1));
    return d;
  }
  return std::nullopt;
}

}  // namespace era::core
