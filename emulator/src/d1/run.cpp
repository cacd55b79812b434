#include "d1/run.h"

#include <algorithm>
#include <chrono>

#include "d1/errors.h"
#include "d1/row_counts.h"
#include "d1/validate.h"

namespace era::d1 {

using store::sqlite::Connection;
using store::sqlite::Statement;

namespace {

int64_t value_bytes(const store::sqlite::Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return int64_t(s->size());
  if (auto* b = std::get_if<store::sqlite::Blob>(&v)) return int64_t(b->bytes.size());
  return 8;
}

// Steps one prepared statement to completion, counting what it read and wrote.
Status step_all(Connection& c, Statement& st, bool want_rows, QueryResult& out, ResultBudget* budget,
                bool arrays = false) {
  int64_t changes_before = c.total_changes();
  int64_t schema_before = 0;
  bool readonly = st.readonly();
  if (!readonly) {
    auto v = c.pragma_int("schema_version");
    if (!v) return fail(errors::sql(v.error()));
    schema_before = *v;
  }
  std::vector<std::string>& names = out.columns;
  names.clear();
  if (want_rows) {  // known once prepared, so a query without rows still names its columns
    int n = st.column_count();
    names.reserve(n);
    for (int i = 0; i < n; ++i) names.push_back(st.column_name(i));
  }
  int64_t returned = 0;
  std::optional<int64_t> only_int;  // the first row's value when it is one integer
  const bool one_column = st.column_count() == 1;
  for (;;) {
    auto r = st.step();
    if (!r) return fail(errors::sql(r.error()));
    if (!*r) break;
    if (++returned == 1 && one_column) only_int = st.column_int(0);
    if (!want_rows) continue;
    nlohmann::ordered_json row = arrays ? nlohmann::ordered_json::array() : nlohmann::ordered_json::object();
    for (int i = 0; i < static_cast<int>(names.size()); ++i) {
      store::sqlite::Value v = st.column(i);
      if (budget && (budget->bytes -= value_bytes(v)) < 0) return fail(errors::result_too_large(kMaxResultBytes, kMaxResultRows));
      if (arrays) row.emplace_back(to_json(v));
      else row[names[i]] = to_json(v);
    }
    if (budget && --budget->rows < 0) return fail(errors::result_too_large(kMaxResultBytes, kMaxResultRows));
    out.rows.push_back(std::move(row));
  }
  const int64_t written = c.total_changes() - changes_before;
  const int64_t changes = written > 0 ? c.changes() : 0;  // a statement that wrote nothing leaves the last count
  Meta& m = out.meta;
  m.changes += changes;
  thread_local std::vector<store::sqlite::ExecutedOp> ops;  // reused: no allocation per statement
  auto counted = c.executed_ops(st, ops);
  if (!counted) return fail(errors::sql(counted.error()));
  if (*counted) {  // D1's own accounting, from the instructions that ran (d1/row_counts.h)
    std::optional<store::sqlite::SqlError> count_failed;
    auto rows_at = [&](int64_t root) -> std::optional<int64_t> {
      auto r = c.rows_at_root(root);
      if (!r) count_failed = r.error();
      return r ? *r : std::nullopt;
    };
    RowCounts n = count_rows(ops, returned == 1 ? only_int : std::nullopt,
                             changes, rows_at);
    if (count_failed) return fail(errors::sql(*count_failed));
    m.rows_read += n.read;
    m.rows_written += n.written;
  } else {  // a SQLite that does not count instructions: rows changed, full-scan steps or rows returned
    m.rows_written += written;
    m.rows_read += std::max(st.fullscan_steps(), returned);
  }
  if (written > 0) {
    m.changed_db = true;
  } else if (!readonly) {
    auto v = c.pragma_int("schema_version");
    if (!v) return fail(errors::sql(v.error()));
    if (*v != schema_before) m.changed_db = true;
  }
  return {};
}

Result<QueryResult> run_all(Connection& c, const StatementInput& in, bool want_rows,
                            const StatementHook& before, const StatementHook& after,
                            size_t& index, ResultBudget* budget);

}  // namespace

void accumulate(Meta& into, const Meta& m) {
  into.duration_ms += m.duration_ms;
  into.changes += m.changes;
  into.rows_read += m.rows_read;
  into.rows_written += m.rows_written;
  into.changed_db = into.changed_db || m.changed_db;
  into.count += m.count;
}

Result<QueryResult> run_statements(Connection& c, const StatementInput& in, bool want_rows,
                                   const StatementHook& before, const StatementHook& after,
                                   size_t* failed_at, ResultBudget* budget) {
  size_t index = 0;
  auto r = run_all(c, in, want_rows, before, after, index, budget);
  if (!r && failed_at) *failed_at = index;
  return r;
}

namespace {
Result<QueryResult> run_all(Connection& c, const StatementInput& in, bool want_rows,
                            const StatementHook& before, const StatementHook& after,
                            size_t& index, ResultBudget* budget) {
  auto started = std::chrono::steady_clock::now();
  QueryResult out;
  if (in.sql.find('\0') != std::string::npos) return fail(errors::nul_in_sql());
  size_t pos = 0;
  while (pos < in.sql.size() && !store::sqlite::only_space_or_comments(
                                    std::string_view(in.sql).substr(pos))) {
    if (before) ERA_TRY(before(index));
    size_t next = pos;
    auto prepared = c.prepare(in.sql, pos, next);
    if (!prepared) return fail(errors::sql(prepared.error()));
    if (!*prepared) break;  // only comments remained
    Statement& st = **prepared;
    if (in.read_only && !st.readonly())
      return fail(in.inspect ? errors::read_only_inspect() : errors::read_only_get());
    bool last = store::sqlite::only_space_or_comments(std::string_view(in.sql).substr(next));
    int wanted = st.param_count();
    if (!last && wanted > 0) return fail(errors::params_on_non_last());
    if (last && static_cast<size_t>(wanted) != in.params.size())
      return fail(errors::wrong_binding_count(in.params.size(), wanted));
    for (int i = 0; last && i < wanted; ++i) {
      auto b = st.bind(i + 1, in.params[static_cast<size_t>(i)]);
      if (!b) return fail(errors::sql(b.error()));
    }
    // Rows of earlier statements are dropped; keep only the last one's.
    if (!last) {
      QueryResult scratch;
      ERA_TRY(step_all(c, st, false, scratch, nullptr));
      accumulate(out.meta, scratch.meta);
    } else {
      ERA_TRY(step_all(c, st, want_rows, out, budget, in.rows_as_arrays));
    }
    ++out.meta.count;
    pos = next;
    if (after) ERA_TRY(after(index));
    ++index;
  }
  if (out.meta.count == 0) return fail(errors::no_statements());
  out.meta.last_row_id = c.last_insert_rowid();
  out.meta.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return out;
}
}  // namespace

Status in_transaction(Connection& c, const std::function<Status()>& fn) {
  auto begun = c.exec_cached("BEGIN IMMEDIATE");  // trusted, prepared once per connection
  if (!begun) return fail(errors::sql(begun.error()));
  Status st = fn();
  if (st) {
    auto committed = c.exec_cached("COMMIT");
    if (!committed) st = fail(errors::sql(committed.error()));
  }
  if (!st && c.in_transaction()) (void)c.exec_cached("ROLLBACK");
  return st;
}

}  // namespace era::d1
