#include "d1/authorizer.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace era::d1 {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool reserved_name(std::string_view name) { return lower(name.substr(0, 4)) == "_cf_"; }

bool function_refused(std::string_view name) {
  // The audit of SQLite's built-in functions as Debian builds it (compile_options: FTS3
  // tokenizer, load_extension, dbstat, stmt vtab, math): fts3_tokenizer() hands out a
  // tokenizer's C function pointer, and with two arguments installs one from a blob — a
  // code-execution primitive; load_extension() loads a shared library. Nothing else returns a
  // pointer or loads code (fts5() passes its pointer only through sqlite3_bind_pointer, which
  // SQL cannot read). Production D1 has neither.
  static constexpr std::array<std::string_view, 2> kRefused = {"fts3_tokenizer", "load_extension"};
  std::string n = lower(name);
  return std::find(kRefused.begin(), kRefused.end(), n) != kRefused.end();
}

bool pragma_allowed(std::string_view name, bool has_value) {
  static constexpr std::array<std::string_view, 18> kAllowed = {
      "table_list",        "table_info",          "table_xinfo",
      "index_list",        "index_info",          "index_xinfo",
      "quick_check",       "foreign_key_check",   "foreign_key_list",
      "case_sensitive_like", "ignore_check_constraints", "legacy_alter_table",
      "recursive_triggers", "reverse_unordered_selects", "foreign_keys",
      "defer_foreign_keys", "data_version",        "optimize"};
  std::string n = lower(name);
  if (n == "page_size") return !has_value;  // workerd: read only
  return std::find(kAllowed.begin(), kAllowed.end(), n) != kAllowed.end();
}

std::optional<std::string> authorize(const store::sqlite::AuthRequest& r) {
  using A = store::sqlite::AuthAction;
  switch (r.action) {
    case A::transaction:
    case A::savepoint: return std::string(kTransactionRefused);
    case A::attach:
    case A::detach: return std::string();
    case A::create_temp_table:
    case A::create_temp_index:
    case A::create_temp_view:
    case A::create_temp_trigger:
    case A::drop_temp_table:
    case A::drop_temp_index:
    case A::drop_temp_view:
    case A::drop_temp_trigger: return std::string();
    case A::pragma:
      if (!pragma_allowed(r.arg1, !r.arg2.empty())) return std::string();
      // table_info(_cf_x) and friends name a table in arg2.
      if (!r.arg2.empty() && reserved_name(r.arg2)) return std::string();
      return std::nullopt;
    case A::read:
    case A::insert:
    case A::update:
    case A::del:
    case A::create_table:
    case A::create_view:
    case A::create_trigger:
    case A::create_vtable:
    case A::drop_table:
    case A::drop_view:
    case A::drop_trigger:
    case A::drop_vtable:
    case A::alter_table:
    case A::analyze:
    case A::reindex:
      // SQLITE_ALTER_TABLE passes the database in arg1 and the table in arg2.
      if (reserved_name(r.action == A::alter_table ? r.arg2 : r.arg1)) return std::string();
      if (r.db == "temp" && r.action != A::read) return std::string();
      return std::nullopt;
    case A::function:  // arg2 = the function's name
      if (function_refused(r.arg2)) return std::string();
      return std::nullopt;
    case A::create_index:
    case A::drop_index:
      // arg1 = index name, arg2 = table name
      if (reserved_name(r.arg1) || reserved_name(r.arg2)) return std::string();
      return std::nullopt;
    default: return std::nullopt;
  }
}

}  // namespace era::d1
