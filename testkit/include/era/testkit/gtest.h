#pragma once
// GoogleTest predicates over era-emu state. Each returns ::testing::AssertionResult, so the
// failure message (expected, found, and the namespace's whole state) reaches the test log:
//
//   using namespace era::testkit::gtest;
//   EXPECT_TRUE(KvHas(emu.kv("app"), "user:1", "ada"));
//   EXPECT_TRUE(KvLacks(emu.kv("app"), "tmp"));
//   EXPECT_TRUE(R2Has(emu.r2("files"), "a.txt", "hello"));
//   EXPECT_TRUE(D1HasRow(emu.d1("db"), "users", {{"name", "ada"}}));
//   EXPECT_TRUE(Satisfies(emu.kv("app"), era::testkit::KvKeyExpectation{.key = "k", .expires = true}));
#include <gtest/gtest.h>

#include "era/testkit/checks.h"

namespace era::testkit::gtest {

inline ::testing::AssertionResult ToAssertion(const Check& c) {
  return c.ok ? ::testing::AssertionSuccess() << c.message() : ::testing::AssertionFailure() << c.message();
}

using nlohmann::json;

inline ::testing::AssertionResult Satisfies(const KvView& v, const KvKeyExpectation& e) { return ToAssertion(check(v, e)); }
inline ::testing::AssertionResult Satisfies(const R2View& v, const R2ObjectExpectation& e) { return ToAssertion(check(v, e)); }
inline ::testing::AssertionResult Satisfies(const D1View& v, const D1RowsExpectation& e) { return ToAssertion(check(v, e)); }
inline ::testing::AssertionResult KvHas(const KvView& v, const std::string& key) { return ToAssertion(kv_has(v, key)); }
inline ::testing::AssertionResult KvHas(const KvView& v, const std::string& key, const std::string& value) {
  return ToAssertion(kv_has(v, key, value));
}
inline ::testing::AssertionResult KvLacks(const KvView& v, const std::string& key) { return ToAssertion(kv_lacks(v, key)); }
inline ::testing::AssertionResult R2Has(const R2View& v, const std::string& key) { return ToAssertion(r2_has(v, key)); }
inline ::testing::AssertionResult R2Has(const R2View& v, const std::string& key, const std::string& body) {
  return ToAssertion(r2_has(v, key, body));
}
inline ::testing::AssertionResult R2Lacks(const R2View& v, const std::string& key) { return ToAssertion(r2_lacks(v, key)); }
inline ::testing::AssertionResult D1HasTable(const D1View& v, const std::string& table) {
  return ToAssertion(d1_has_table(v, table));
}
inline ::testing::AssertionResult D1RowsAre(const D1View& v, const std::string& table, const json& rows) {
  return ToAssertion(d1_rows_are(v, table, rows));
}
inline ::testing::AssertionResult D1HasRow(const D1View& v, const std::string& table, const json& subset) {
  return ToAssertion(d1_has_row(v, table, subset));
}
inline ::testing::AssertionResult D1RowCount(const D1View& v, const std::string& table, size_t n) {
  return ToAssertion(d1_row_count(v, table, n));
}
inline ::testing::AssertionResult D1QueryReturns(const D1View& v, const std::string& sql, const json& rows,
                                                 const json& params = json::array()) {
  return ToAssertion(d1_query_returns(v, sql, rows, params));
}

}  // namespace era::testkit::gtest
