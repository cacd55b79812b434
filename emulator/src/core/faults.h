#pragma once
// Fault rules: match + action + schedule, with bookkeeping tests can read back
// (ARCHITECTURE.md "Faults"). This file knows no HTTP: the guard (api/guard.cpp) asks decide()
// once per routed call and applies the returned action.
//
// Evaluation: rules are an ordered list; each enabled rule whose match fields and active window
// fit the call counts it as `matched`, then its schedule decides whether it fires (skip the
// first `after` matches, draw against `probability` from the rule's own seeded generator,
// `times` / the end of a `sequence` retire it). The first rule that fires wins; a rule that
// matched but did not fire lets evaluation continue. A retired rule matches nothing.
//
// Determinism: every rule owns a std::mt19937_64 seeded with its `seed` (a random one is picked
// and reported back when the rule omits it), and draws happen only for calls that reached the
// probability step, so the same seed and the same sequence of matching calls give the same
// faults on every run, whatever other rules do. Thread-safe (one mutex; decide() is short).
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace era::core {

struct FaultAction {
  enum class Type { error, throttle, latency, timeout, reset, truncate, stale, lost_ack, ok };
  Type type = Type::error;
  int status = 0;           // error/lost_ack/timeout: HTTP status (0 = the type's default)
  std::string code;         // wire code ("" = INJECTED / THROTTLED)
  std::string message;      // "" = a default naming the fault
  int64_t ms = 0;           // latency
  int64_t jitter_ms = 0;    // latency: + uniform [0, jitter_ms] from the rule's generator
  int64_t hold_ms = 0;      // timeout: hold the request this long, then answer 504
  int64_t after_bytes = 0;  // truncate: bytes of the body actually sent
  int64_t retry_after_s = 1;  // throttle: Retry-After

  static std::string_view type_name(Type t);
  nlohmann::json to_json() const;
};

// What the guard knows about a call when it asks.
struct FaultQuery {
  std::string_view service;   // kv | r2 | d1 | resources
  std::string_view op;        // get | put | delete | list | head | query | exec | batch | ...
  std::string_view ns;
  std::string_view key;
  std::string_view location;  // X-Era-Location (default "local")
  std::string_view client;    // X-Era-Client ("" when absent)
  int64_t now_ms = 0;         // virtual clock
};

struct FaultDecision {
  std::string rule_id;
  FaultAction action;
  int64_t extra_delay_ms = 0;  // latency jitter already drawn
};

struct FaultRule {
  std::string id;
  // match ("*" or "" = any; namespace/key are globs with * and ?)
  std::string service = "*", op = "*", ns = "*", key = "*", location, client;
  // action: exactly one of these
  std::optional<FaultAction> action;
  std::vector<FaultAction> sequence;
  // schedule
  double probability = 1.0;
  uint64_t seed = 0;
  int64_t after = 0;
  std::optional<int64_t> times;
  std::optional<int64_t> active_from_ms, active_until_ms;  // [from, until) on the virtual clock
  int64_t created_ms = 0;
  // bookkeeping
  int64_t matched = 0;
  int64_t fired = 0;
  size_t step = 0;  // next sequence step
  std::mt19937_64 rng;

  bool retired() const;
  std::optional<int64_t> remaining() const;  // nullopt = unlimited
  nlohmann::json to_json() const;
};

// Glob with '*' (any run, also empty) and '?' (one byte). "" matches everything.
bool glob_match(std::string_view pattern, std::string_view text);

// Parses and validates a rule document (the wire shape in docs/control-api.md). Fails with
// INVALID_FAULT naming the field. now_ms anchors a relative active_for window.
Result<FaultRule> parse_fault_rule(const nlohmann::json& doc, int64_t now_ms);

class FaultSet {
 public:
  // At most this many rules at once: each call is matched against every rule.
  static constexpr size_t kMaxRules = 1000;
  // Stores the rule (assigning its id "f<N>") and returns its JSON form; INVALID_FAULT past
  // kMaxRules.
  Result<nlohmann::json> add(FaultRule rule);
  nlohmann::json list() const;  // [{...rule, matched, fired, remaining}]
  bool remove(std::string_view id);
  size_t clear();
  bool empty() const;

  // The action to apply to this call, or nullopt. Updates bookkeeping.
  std::optional<FaultDecision> decide(const FaultQuery& q);

 private:
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  uint64_t next_id_ = 1;
  // Fast path: guard skips the mutex entirely while no rule exists.
  std::atomic<size_t> count_{0};
};

}  // namespace era::core
