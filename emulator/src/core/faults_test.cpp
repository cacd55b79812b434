#include "core/faults.h"

#include <catch2/catch.hpp>

#include <memory>

using era::Code;
using era::core::FaultQuery;
using era::core::FaultSet;
using era::core::glob_match;
using era::core::parse_fault_rule;
using json = nlohmann::json;

namespace {

FaultQuery kv_get(std::string_view key, int64_t now = 1000) {
  FaultQuery q;
  q.service = "kv";
  q.op = "get";
  q.ns = "app";
  q.key = key;
  q.location = "local";
  q.now_ms = now;
  return q;
}

std::string pattern(FaultSet& set, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += set.decide(kv_get("k")) ? 'X' : '.';
  return out;
}

// FaultSet holds a mutex, so it is neither copyable nor movable: hand out a pointer.
std::unique_ptr<FaultSet> with_rule(const json& doc) {
  auto set = std::make_unique<FaultSet>();
  auto r = parse_fault_rule(doc, 1000);
  REQUIRE(r);
  set->add(std::move(*r));
  return set;
}

}  // namespace

TEST_CASE("faults glob: * and ? match runs and single bytes", "[faults]") {
  CHECK(glob_match("user:*", "user:1"));
  CHECK(glob_match("user:*", "user:"));
  CHECK_FALSE(glob_match("user:*", "admin:1"));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("a?c", "ac"));
  CHECK(glob_match("*x*y", "axxbxy"));
  CHECK_FALSE(glob_match("*x*y", "axxbx"));
  CHECK(glob_match("", "anything"));
  CHECK(glob_match("app*", "app"));
}

TEST_CASE("faults parse: malformed rules are INVALID_FAULT naming the field", "[faults]") {
  auto code_of = [](const json& doc) {
    auto r = parse_fault_rule(doc, 0);
    REQUIRE_FALSE(r);
    return std::make_pair(r.error().code, r.error().details.value("field", ""));
  };
  CHECK(code_of({{"service", "kv"}}) == std::make_pair(Code::INVALID_FAULT, std::string("action")));
  CHECK(code_of({{"service", "s3"}, {"action", {{"type", "error"}}}}).second == "service");
  CHECK(code_of({{"op", "fly"}, {"action", {{"type", "error"}}}}).second == "op");
  CHECK(code_of({{"action", {{"type", "explode"}}}}).second == "action.type");
  CHECK(code_of({{"action", {{"type", "error"}, {"status", 200}}}}).second == "action.status");
  CHECK(code_of({{"action", {{"type", "latency"}, {"hold_ms", 5}}}}).second == "action.hold_ms");
  CHECK(code_of({{"action", {{"type", "error"}}}, {"probability", 1.5}}).second == "probability");
  CHECK(code_of({{"action", {{"type", "error"}}}, {"times", 0}}).second == "times");
  CHECK(code_of({{"action", {{"type", "error"}}}, {"sequence", json::array({{{"type", "ok"}}})}}).second ==
        "action");
  CHECK(code_of({{"sequence", json::array()}}).second == "sequence");
  CHECK(code_of({{"action", {{"type", "error"}}}, {"tiems", 2}}).second == "tiems");
  CHECK(code_of({{"action", {{"type", "error"}}}, {"active_for", "soon"}}).second == "active_for");
}

TEST_CASE("faults schedule: after skips, times retires, bookkeeping adds up", "[faults]") {
  auto setp = with_rule({{"service", "kv"}, {"key", "user:*"}, {"after", 1}, {"times", 2},
                            {"action", {{"type", "error"}, {"status", 503}}}});
  FaultSet& set = *setp;
  CHECK_FALSE(set.decide(kv_get("other")));  // no match, not counted
  CHECK_FALSE(set.decide(kv_get("user:1")));  // matched, skipped by after
  CHECK(set.decide(kv_get("user:1")));
  CHECK(set.decide(kv_get("user:2")));
  CHECK_FALSE(set.decide(kv_get("user:3")));  // retired
  json r = set.list()[0];
  CHECK(r["matched"] == 3);
  CHECK(r["fired"] == 2);
  CHECK(r["remaining"] == 0);
}

TEST_CASE("faults sequence: consumed call by call, then the rule retires", "[faults]") {
  auto setp = with_rule({{"sequence", json::array({{{"type", "error"}, {"status", 503}},
                                                      {{"type", "error"}, {"status", 500}},
                                                      {{"type", "ok"}}})}});
  FaultSet& set = *setp;
  auto a = set.decide(kv_get("k"));
  REQUIRE(a);
  CHECK(a->action.status == 503);
  auto b = set.decide(kv_get("k"));
  REQUIRE(b);
  CHECK(b->action.status == 500);
  auto c = set.decide(kv_get("k"));
  REQUIRE(c);
  CHECK(c->action.type == era::core::FaultAction::Type::ok);
  CHECK_FALSE(set.decide(kv_get("k")));
  CHECK(set.list()[0]["remaining"] == 0);
}

TEST_CASE("faults determinism: the same seed gives the same faults, every run", "[faults]") {
  json rule = {{"probability", 0.3}, {"seed", 42}, {"action", {{"type", "error"}}}};
  auto ap = with_rule(rule), bp = with_rule(rule);
  FaultSet &a = *ap, &b = *bp;
  std::string pa = pattern(a, 500), pb = pattern(b, 500);
  CHECK(pa == pb);
  auto fired = std::count(pa.begin(), pa.end(), 'X');
  CHECK(fired > 100);  // ~150 expected for p = 0.3
  CHECK(fired < 200);
  rule["seed"] = 43;
  auto cp = with_rule(rule);
  FaultSet& c = *cp;
  CHECK(pattern(c, 500) != pa);
  // A rule without a seed reports the one it picked, so the run can be replayed.
  auto dp = with_rule({{"probability", 0.3}, {"action", {{"type", "error"}}}});
  FaultSet& d = *dp;
  json picked = d.list()[0];
  std::string pd = pattern(d, 200);
  picked.erase("id");
  for (const char* k : {"matched", "fired", "remaining"}) picked.erase(k);
  auto ep = with_rule(picked);
  FaultSet& e = *ep;
  CHECK(pattern(e, 200) == pd);
}

TEST_CASE("faults active_for: only inside the window on the virtual clock", "[faults]") {
  auto setp = with_rule({{"active_for", "60s"}, {"action", {{"type", "error"}}}});
  FaultSet& set = *setp;
  CHECK(set.decide(kv_get("k", 1000)));
  CHECK(set.decide(kv_get("k", 60999)));
  CHECK_FALSE(set.decide(kv_get("k", 61000)));
  auto laterp = with_rule({{"active_for", {{"from", 5000}, {"until", 6000}}}, {"action", {{"type", "error"}}}});
  FaultSet& later = *laterp;
  CHECK_FALSE(later.decide(kv_get("k", 4999)));
  CHECK(later.decide(kv_get("k", 5000)));
}

TEST_CASE("faults order: the first rule that fires wins; location and client scope rules", "[faults]") {
  FaultSet set;
  auto r1 = parse_fault_rule({{"client", "test-a"}, {"action", {{"type", "error"}, {"status", 500}}}}, 0);
  auto r2 = parse_fault_rule({{"location", "eu"}, {"action", {{"type", "error"}, {"status", 502}}}}, 0);
  REQUIRE(r1);
  REQUIRE(r2);
  set.add(std::move(*r1));
  set.add(std::move(*r2));
  FaultQuery q = kv_get("k");
  CHECK_FALSE(set.decide(q));
  q.client = "test-a";
  q.location = "eu";
  CHECK(set.decide(q)->action.status == 500);
  q.client = "test-b";
  CHECK(set.decide(q)->action.status == 502);
  CHECK(set.remove("f1"));
  CHECK_FALSE(set.remove("f1"));
  CHECK(set.clear() == 1);
  CHECK(set.empty());
}
