#pragma once
// Running D1 statements on a connection the caller has locked: splitting a text into its
// statements (sqlite3_prepare_v2's tail, so a ';' inside a string or comment never splits),
// binding, stepping, rows as ordered JSON objects, and the per-statement meta counters.
#include <functional>

#include "core/result.h"
#include "d1/engine.h"
#include "store/sqlite.h"

namespace era::d1 {

// Runs every statement of `in` in order, inside whatever transaction the caller opened, and
// returns the rows of the last one (`rows` stays empty when want_rows is false). Params bind
// to the last statement only. `each` (optional) runs before every statement with its index,
// and `after` after it; either may fail to stop the run (exec uses them to commit per
// statement). On failure *failed_at (when given) is the failing statement's index.
// meta.count = statements run; size_after is left for the caller.
using StatementHook = std::function<Status(size_t index)>;
// Rows returned so far count against it (kMaxResultBytes / kMaxResultRows): one per request.
struct ResultBudget {
  int64_t bytes = kMaxResultBytes;
  int64_t rows = kMaxResultRows;
};
Result<QueryResult> run_statements(store::sqlite::Connection& c, const StatementInput& in,
                                   bool want_rows, const StatementHook& before = {},
                                   const StatementHook& after = {}, size_t* failed_at = nullptr,
                                   ResultBudget* budget = nullptr);

// BEGIN (trusted) ... fn ... COMMIT; ROLLBACK when fn or COMMIT fails (a deferred foreign key
// violation surfaces at COMMIT as "FOREIGN KEY constraint failed").
Status in_transaction(store::sqlite::Connection& c, const std::function<Status()>& fn);

// Adds a statement's counters to an aggregate.
void accumulate(Meta& into, const Meta& m);

}  // namespace era::d1
