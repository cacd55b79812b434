#pragma once
// D1 semantics over one SQLite database per namespace (<data>/d1/<ns>.sqlite, WAL,
// synchronous=OFF, or FULL with Options::durable; foreign_keys on, D1's limits via
// sqlite3_limit, D1's refusals via an authorizer, 'now' from the virtual clock through the
// era-clock VFS). No SQL is rewritten.
//
// Concurrency: one connection per database, guarded by that database's mutex; every public
// call holds it for the whole operation, so statements of one namespace run one at a time
// and SQLITE_BUSY cannot arise between our own requests (busy_timeout is only a backstop
// against outside processes). Different namespaces run in parallel. All methods are
// thread-safe. Calls that find their database busy are combined: they queue, and the thread
// holding the database runs them in arrival order before it lets go (with_db), each still its
// own transaction with its own deadline.
//
// Transactions: query, exec and each batch run as one transaction (all or nothing; exec stops
// at the first failure and names it). PRAGMA defer_foreign_keys applies until that
// transaction commits.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"
#include "store/sqlite.h"

namespace era::core { class Clock; }
namespace era::store { class Paths; }

namespace era::d1 {

// D1's limits (cloudflare-storage-semantics.md §3.2), applied to every connection.
inline constexpr int kMaxBoundParameters = 100;
// The rest of the sqlite3_limit values workerd's SQLite sets (src/workerd/util/sqlite.c++), which
// D1's documentation does not list: terms of a compound SELECT, expression depth, program size,
// trigger recursion (issue 18, item 2).
inline constexpr int kMaxCompoundSelect = 5;
inline constexpr int kMaxExprDepth = 100;
inline constexpr int kMaxVdbeOps = 25000;
inline constexpr int kMaxTriggerDepth = 10;
inline constexpr int kMaxSqlLength = 100'000;     // bytes per statement
inline constexpr int kMaxColumns = 100;
inline constexpr int kMaxValueBytes = 2'000'000;  // string, BLOB and row size
inline constexpr int kMaxLikePattern = 50;
inline constexpr int kMaxFunctionArgs = 32;
// What the rows of one request (a query, or a whole batch) may add up to: values (text and
// BLOB bytes, 8 per number) and rows. Production has no documented result cap, but a Worker
// has 128 MB of memory; here the cap bounds what a 100-byte query can make the emulator build
// (BLOBs become JSON arrays of numbers, ~20 bytes of memory per byte). Past either:
// D1_LIMIT_EXCEEDED, "result too large", before the rows are built.
inline constexpr int64_t kMaxResultBytes = int64_t(16) << 20;
inline constexpr int64_t kMaxResultRows = 250'000;

struct StatementInput {
  std::string sql;
  std::vector<store::sqlite::Value> params;  // bound to the (last) statement, 1-based order
  bool read_only = false;  // refuse any statement that would write (queries sent with GET)
  bool inspect = false;    // ... saying so in /_emu/inspect's words (read())
  // Rows as arrays in column order (workerd's ROWS_AND_COLUMNS: duplicate column names kept),
  // with QueryResult::columns; otherwise rows are objects keyed by column name.
  bool rows_as_arrays = false;
};

struct Meta {
  double duration_ms = 0;  // SQL execution time
  int64_t changes = 0;
  int64_t last_row_id = 0;
  bool changed_db = false;
  int64_t size_after = 0;
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int count = 0;  // statements executed (exec)
};

struct QueryResult {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();  // objects (or arrays), select order
  std::vector<std::string> columns;  // the last statement's result columns, also with no rows
  Meta meta;
};

struct Options {
  // Every query, exec, batch (as a whole) and inspect read ends after this: D1_QUERY_TIMEOUT,
  // nothing kept, the database usable at once (production: 30 s).
  int64_t query_timeout_ms = 30'000;
  // --durability full: every commit is fsynced. Otherwise a commit survives kill -9 of era-emu
  // (it is in the page cache) and no query ever waits for the disk to flush.
  bool durable = false;
};

class Engine {
 public:
  Engine(const store::Paths& paths, core::Clock& clock, Options opts = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs every statement of input.sql as one transaction and returns the last statement's
  // rows. Params bind to the last statement; an earlier statement with parameters, or a count
  // mismatch, fails. Errors carry D1's text (d1/errors.h); nothing is kept on failure.
  Result<QueryResult> query(const OpContext& ctx, std::string_view ns, const StatementInput& input);
  // D1's exec: the statements run in order as one transaction; the first failure stops them and
  // undoes them all (its error names statement_index). meta.count = statements run.
  Result<Meta> exec(const OpContext& ctx, std::string_view ns, const StatementInput& input);
  // One transaction for all statements; on failure nothing remains and the error names the
  // failing statement_index.
  Result<std::vector<QueryResult>> batch(const OpContext& ctx, std::string_view ns,
                                         const std::vector<StatementInput>& statements);

  // Tables of every database as resources (type "d1", key = table name; sqlite_% and _cf_%
  // skipped; created/updated from the database file's times).
  Status list_resources(const OpContext& ctx, const ResourceFilter& filter,
                        const std::function<void(Resource&&)>& out);
  // Closes and deletes one namespace's database (all when ns is empty); databases are
  // recreated lazily on next use. Returns how many databases were removed.
  Result<size_t> clear(std::string_view ns);

  // ---- for admin/ (reset, snapshots, inspect) and shutdown ----
  // Stops every running statement, and any that starts until resume(), with D1_INTERRUPTED
  // naming `by` ("a reset of the emulator"). Reset, restore and seed call it before they wait
  // for the state lock, so a long query cannot hold them up; shutdown calls it for good.
  void interrupt(std::string by);
  void resume();
  // Namespaces that have a database file, sorted.
  std::vector<std::string> namespaces();
  // A consistent copy of every database (sqlite3 backup API) into dir/<ns>.sqlite.
  Status snapshot_to(const std::filesystem::path& dir);
  // A restore in two steps, so it can be all-or-nothing with the LMDB side (admin::restore):
  // stage_restore copies dir/<ns>.sqlite into d1.restoring/ (the live databases untouched);
  // swap_in_staged closes every database and puts the staged directory in place of d1/.
  Status stage_restore(const std::filesystem::path& dir);
  Status swap_in_staged();
  // The swap itself, idempotent: finishes one a crash interrupted at any point (start-up
  // recovery calls it with no engine open). discard_staged drops a staging that never became
  // the plan (a restore that crashed before its commit point).
  static Status finish_swap(const store::Paths& paths);
  // Both steps at once: replaces all databases with dir/<ns>.sqlite (seed's rollback).
  Status restore_from(const std::filesystem::path& dir) {
    ERA_TRY(stage_restore(dir));
    return swap_in_staged();
  }
  static void discard_staged(const store::Paths& paths);
  // [{name, sql, columns: [{name, type, notnull, default, pk}]}] ordered by name; [] when the
  // namespace has no database.
  Result<nlohmann::json> tables(std::string_view ns);
  // {"table", "columns": [...], "rows": [{...}], "total", "limit", "offset"}; fails with
  // D1_SQL_ERROR "no such table: <t>" for a table that does not exist.
  Result<nlohmann::json> rows(std::string_view ns, std::string_view table, int64_t limit,
                              int64_t offset);
  // A read-only query for inspect and test assertions: input.read_only is forced (a statement
  // that would write fails), no database is created, and a namespace without one answers like
  // an empty database ("no such table"). Same limits and timeout as query().
  Result<QueryResult> read(std::string_view ns, StatementInput input);

  // Calls queued behind the one running on ns's database (0 when it is idle or not open).
  size_t waiting(std::string_view ns);
  // Calls so far that another thread ran for their caller (with_db's combining).
  uint64_t combined() const { return combined_.load(std::memory_order_relaxed); }

 private:
  struct Db;
  struct Turn;
  // How many queued calls one thread runs for others before the oldest waiter takes over.
  static constexpr size_t kCombineTurns = 32;
  // Runs fn under the database's lock; opens (create=true) or skips (create=false: returns
  // false without calling fn) a database that has no file yet.
  Result<bool> with_db(std::string_view ns, bool create,
                       const std::function<Status(store::sqlite::Connection&)>& fn);
  void combine(Db& d);              // runs d's queue; the caller's own turn is in it
  void run_turn(Db& d, Turn& t);    // d.mu held
  Result<std::shared_ptr<Db>> get_db(std::string_view ns, bool create);
  Result<std::unique_ptr<store::sqlite::Connection>> open_connection(std::string_view ns);
  std::vector<std::string> namespaces_on_disk() const;
  void close_all_locked();  // mu_ held

  // fn's failure, told apart when the connection's watch ended it (deadline or interrupt()).
  Error watched_error(store::sqlite::Connection& c, Error e);

  const store::Paths& paths_;
  core::Clock& clock_;
  Options opts_;
  std::atomic<int> cancel_{0};
  std::atomic<uint64_t> combined_{0};
  std::mutex cancel_mu_;
  std::string cancel_by_;
  std::mutex mu_;  // guards dbs_; taken before any Db::mu, never after
  std::map<std::string, std::shared_ptr<Db>, std::less<>> dbs_;
};

}  // namespace era::d1
