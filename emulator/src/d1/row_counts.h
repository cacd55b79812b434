#pragma once
// D1's meta.rows_read / meta.rows_written for one statement (issue 18 item 7), counted the way
// D1 counts them. workerd gets them from counters its patch to SQLite adds to the VDBE
// (workerd patches/sqlite/0001-row-counts-plain.patch, LIBSQL_STMTSTATUS_ROWS_READ/WRITTEN);
// era-emu's SQLite is unmodified, so the same events are counted from the outside: how many
// times each instruction of the statement ran (store::sqlite::Connection::executed_ops).
//
// What the patch counts, per executed instruction:
//   read:    Rewind, Last, SeekRowid/NotExists, SeekGE/GT/LE/LT (an EQ-only seek only when it
//            finds a row), each successful Next/Prev, Count's entries, VNext;
//   written: Insert and IdxInsert into real (non-ephemeral) b-trees, a Delete that counts as a
//            change, the rows a Clear empties (DELETE without WHERE), VUpdate.
// Counts of executions cannot tell a successful Next from the last one, so a loop's reads are
// the times its body ran (plus the opens that found nothing, for a Rewind or range seek); a
// Count's entries are the statement's single integer result when that is what it returned,
// else asked of `entries` (the b-tree's root page → its number of entries).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "store/sqlite.h"

namespace era::d1 {

struct RowCounts {
  int64_t read = 0;
  int64_t written = 0;
};

// ops: the statement's executed instructions; count_result: its only value when it returned
// one row of one integer column (what a bare `SELECT count(*) FROM t` returns); changes: the
// rows it changed (sqlite3_changes), which is what a Clear emptied; entries: for a count(*)
// whose value the statement did not return, how many entries the b-tree at a root page holds.
using EntriesAt = std::function<std::optional<int64_t>(int64_t root_page)>;
RowCounts count_rows(const std::vector<store::sqlite::ExecutedOp>& ops,
                     std::optional<int64_t> count_result, int64_t changes, const EntriesAt& entries);

}  // namespace era::d1
