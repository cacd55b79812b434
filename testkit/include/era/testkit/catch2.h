#pragma once
// Catch2 (v2) matchers over era-emu state. Include after (or instead of) <catch2/catch.hpp>:
//
//   using namespace era::testkit::matchers;
//   REQUIRE_THAT(emu.kv("app"), HasKey("user:1").WithValue("ada").ExpiringIn(120s));
//   REQUIRE_THAT(emu.kv("app"), LacksKey("tmp"));
//   REQUIRE_THAT(emu.r2("files"), HasObject("a.txt").WithBody("hi").WithContentType("text/plain"));
//   REQUIRE_THAT(emu.d1("db"), HasRows("users", {{{"id", 1}, {"name", "ada"}}}));
//
// On failure Catch prints the namespace's whole state, then what was expected and found:
//   kv app: a=1 k=x has key "k" with value "v" (but found k=x)
#include <catch2/catch.hpp>

#include "era/testkit/checks.h"

namespace era::testkit::matchers {
namespace detail {
// "to have key" -> "has key", "to lack key" -> "lacks key" (Catch reads "<arg> <matcher>").
inline std::string third_person(std::string d) {
  if (d.rfind("to have ", 0) == 0) return "has " + d.substr(8);
  if (d.rfind("to lack ", 0) == 0) return "lacks " + d.substr(8);
  return d;
}

template <class View, class Expectation>
class StateMatcher : public Catch::MatcherBase<View> {
 public:
  explicit StateMatcher(Expectation e) : e_(std::move(e)) {}
  bool match(const View& view) const override {
    last_ = check(view, e_);
    return last_.ok;
  }
  std::string describe() const override {
    std::string d = third_person(e_.describe());
    if (!last_.ok && !last_.found.empty()) d += " (but " + last_.found + ")";
    return d;
  }

 protected:
  Expectation e_;
  mutable Check last_{true, {}, {}, {}, {}};
};
}  // namespace detail

class KvKeyMatcher : public detail::StateMatcher<KvView, KvKeyExpectation> {
 public:
  using StateMatcher::StateMatcher;
  KvKeyMatcher WithValue(std::string v) const { return with([&](auto& e) { e.value = std::move(v); }); }
  KvKeyMatcher WithMetadata(nlohmann::json m) const { return with([&](auto& e) { e.metadata = std::move(m); }); }
  KvKeyMatcher WithExpiration() const { return with([](auto& e) { e.expires = true; }); }
  KvKeyMatcher WithoutExpiration() const { return with([](auto& e) { e.expires = false; }); }
  // Expires at the virtual clock's now + ttl (within a second).
  KvKeyMatcher ExpiringIn(std::chrono::seconds ttl) const { return with([&](auto& e) { e.expires_in = ttl; }); }

 private:
  template <class F>
  KvKeyMatcher with(F f) const {
    KvKeyExpectation e = e_;
    f(e);
    return KvKeyMatcher(std::move(e));
  }
};

class R2ObjectMatcher : public detail::StateMatcher<R2View, R2ObjectExpectation> {
 public:
  using StateMatcher::StateMatcher;
  R2ObjectMatcher WithBody(std::string b) const { return with([&](auto& e) { e.body = std::move(b); }); }
  R2ObjectMatcher WithSize(uint64_t n) const { return with([&](auto& e) { e.size = n; }); }
  R2ObjectMatcher WithContentType(std::string t) const { return with([&](auto& e) { e.content_type = std::move(t); }); }
  R2ObjectMatcher WithMetadata(std::string k, std::string v) const {
    return with([&](auto& e) { e.custom_metadata[std::move(k)] = std::move(v); });
  }

 private:
  template <class F>
  R2ObjectMatcher with(F f) const {
    R2ObjectExpectation e = e_;
    f(e);
    return R2ObjectMatcher(std::move(e));
  }
};

using D1Matcher = detail::StateMatcher<D1View, D1RowsExpectation>;

inline KvKeyMatcher HasKey(std::string key) { return KvKeyMatcher(KvKeyExpectation{.key = std::move(key)}); }
inline KvKeyMatcher LacksKey(std::string key) {
  return KvKeyMatcher(KvKeyExpectation{.key = std::move(key), .present = false});
}
inline R2ObjectMatcher HasObject(std::string key) {
  return R2ObjectMatcher(R2ObjectExpectation{.key = std::move(key)});
}
inline R2ObjectMatcher LacksObject(std::string key) {
  return R2ObjectMatcher(R2ObjectExpectation{.key = std::move(key), .present = false});
}
inline D1Matcher HasTable(std::string table) {
  return D1Matcher({.mode = D1RowsExpectation::Mode::has_table, .table = std::move(table)});
}
// Exactly these rows, in this order (read through inspect).
inline D1Matcher HasRows(std::string table, nlohmann::json rows) {
  return D1Matcher({.table = std::move(table), .rows = std::move(rows)});
}
// At least one row whose fields include all of `subset`.
inline D1Matcher HasRow(std::string table, nlohmann::json subset) {
  return D1Matcher({.mode = D1RowsExpectation::Mode::contains_row, .table = std::move(table), .rows = std::move(subset)});
}
inline D1Matcher HasRowCount(std::string table, size_t n) {
  return D1Matcher({.mode = D1RowsExpectation::Mode::count, .table = std::move(table), .count = n});
}
// The read-only query (through /_emu/inspect: no faults, no events) returns exactly these rows.
inline D1Matcher QueryReturns(std::string sql, nlohmann::json rows,
                              nlohmann::json params = nlohmann::json::array()) {
  return D1Matcher({.sql = std::move(sql), .params = std::move(params), .rows = std::move(rows)});
}

}  // namespace era::testkit::matchers

namespace Catch {
template <>
struct StringMaker<era::testkit::KvView> {
  static std::string convert(const era::testkit::KvView& v) {
    try { return v.dump(); } catch (const std::exception& e) { return "kv " + v.ns() + ": <" + e.what() + ">"; }
  }
};
template <>
struct StringMaker<era::testkit::R2View> {
  static std::string convert(const era::testkit::R2View& v) {
    try { return v.dump(); } catch (const std::exception& e) { return "r2 " + v.ns() + ": <" + e.what() + ">"; }
  }
};
template <>
struct StringMaker<era::testkit::D1View> {
  static std::string convert(const era::testkit::D1View& v) {
    try { return v.dump(); } catch (const std::exception& e) { return "d1 " + v.ns() + ": <" + e.what() + ">"; }
  }
};
}  // namespace Catch
