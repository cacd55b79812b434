#pragma once
// Framework-neutral assertions on stored state: each returns a Check (bool + message) whose
// failure message says what was expected, what was found, and the whole namespace's state:
//
//   expected kv app to have key "k" with value "v", but found k=x
//     kv app: a=1 k=x b=2[exp=+120s]
//
// catch2.h wraps these as Catch2 matchers, gtest.h as ::testing::AssertionResult predicates;
// with any other framework use `auto c = kv_has(...); if (!c) fail(c.message());`.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "era/testkit/views.h"

namespace era::testkit {

struct Check {
  bool ok = false;
  std::string subject{};   // "kv app"
  std::string expected{};  // "to have key \"k\" with value \"v\""
  std::string found{};     // "found k=x" (empty when ok)
  std::string state{};     // the namespace's dump, or "" when ok

  explicit operator bool() const { return ok; }
  // One line when ok; on failure "expected <subject> <expected>, but <found>\n  <state>".
  std::string message() const;
};

struct KvKeyExpectation {
  std::string key{};
  bool present = true;
  std::optional<std::string> value{};
  std::optional<nlohmann::json> metadata{};       // exact JSON equality
  std::optional<bool> expires{};                  // true: has an expiration; false: has none
  std::optional<std::chrono::seconds> expires_in{};  // expiration == clock now + N (±1 s)
  std::string describe() const;
};

struct R2ObjectExpectation {
  std::string key{};
  bool present = true;
  std::optional<std::string> body{};
  std::optional<std::string> content_type{};
  std::optional<uint64_t> size{};
  std::map<std::string, std::string> custom_metadata{};  // each pair must be present
  std::string describe() const;
};

struct D1RowsExpectation {
  enum class Mode { exactly, contains_row, count, has_table };
  Mode mode = Mode::exactly;
  std::string table{};         // read through inspect (authoritative) ...
  std::string sql{};           // ... or, when set, through a query (table then only names it)
  nlohmann::json params = nlohmann::json::array();
  nlohmann::json rows = nlohmann::json::array();  // exactly: the rows in order; contains_row: one subset row
  size_t count = 0;
  std::string describe() const;
};

Check check(const KvView& kv, const KvKeyExpectation& e);
Check check(const R2View& r2, const R2ObjectExpectation& e);
Check check(const D1View& d1, const D1RowsExpectation& e);

// Shorthands.
Check kv_has(const KvView& kv, const std::string& key);
Check kv_has(const KvView& kv, const std::string& key, const std::string& value);
Check kv_lacks(const KvView& kv, const std::string& key);
Check r2_has(const R2View& r2, const std::string& key);
Check r2_has(const R2View& r2, const std::string& key, const std::string& body);
Check r2_lacks(const R2View& r2, const std::string& key);
Check d1_has_table(const D1View& d1, const std::string& table);
Check d1_rows_are(const D1View& d1, const std::string& table, const nlohmann::json& rows);
Check d1_has_row(const D1View& d1, const std::string& table, const nlohmann::json& subset);
Check d1_row_count(const D1View& d1, const std::string& table, size_t n);
Check d1_query_returns(const D1View& d1, const std::string& sql, const nlohmann::json& rows,
                       const nlohmann::json& params = nlohmann::json::array());

}  // namespace era::testkit
