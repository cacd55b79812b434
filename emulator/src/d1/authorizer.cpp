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
  // D1 allows a fixed list of SQLite's functions and refuses every other one with
  // SQLITE_AUTH ("not authorized"), whether SQLite has it or not: workerd's
  // ALLOWED_SQLITE_FUNCTIONS (src/workerd/util/sqlite.c++). So sqlite_version(), unistr(),
  // json_pretty(), the aliases ceiling()/power()/log10(), fts3_tokenizer() (a C function
  // pointer) are refused; load_extension() is listed there but extension loading is compiled
  // out of era-emu's SQLite and off on every connection anyway.
  static constexpr std::array<std::string_view, 138> kAllowed = {
      "abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex",
      "ifnull", "iif", "instr", "last_insert_rowid", "length", "like", "likelihood", "likely",
      "load_extension", "lower", "ltrim", "max_scalar", "min_scalar", "nullif", "octet_length",
      "printf", "quote", "random", "randomblob", "replace", "round", "rtrim", "sign", "soundex",
      "substr", "substring", "total_changes", "trim", "typeof", "unhex", "unicode", "unlikely",
      "upper", "zeroblob", "date", "time", "datetime", "julianday", "unixepoch", "strftime",
      "timediff", "current_date", "current_time", "current_timestamp", "avg", "count",
      "group_concat", "max", "min", "string_agg", "sum", "total", "row_number", "rank",
      "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
      "last_value", "nth_value", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh",
      "ceil", "cos", "cosh", "degrees", "exp", "floor", "ln", "log", "log2", "mod", "pi", "pow",
      "radians", "sin", "sinh", "sqrt", "tan", "tanh", "trunc", "json", "jsonb", "json_array",
      "jsonb_array", "json_array_length", "json_extract", "jsonb_extract", "->", "->>",
      "json_insert", "jsonb_insert", "json_object", "jsonb_object", "json_patch", "jsonb_patch",
      "json_remove", "jsonb_remove", "json_replace", "jsonb_replace", "json_set", "jsonb_set",
      "json_type", "json_valid", "json_quote", "json_group_array", "jsonb_group_array",
      "json_group_object", "jsonb_group_object", "json_each", "json_tree", "match", "highlight",
      "bm25", "snippet", "rtreecheck", "sqlite_rename_column", "sqlite_rename_table",
      "sqlite_rename_test", "sqlite_drop_column", "sqlite_rename_quotefix"};
  std::string n = lower(name);
  return std::find(kAllowed.begin(), kAllowed.end(), n) == kAllowed.end();
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
