#pragma once
// Thin RAII over SQLite for the D1 engine: a Connection (one per database file), prepared
// Statements, typed Values, the authorizer hook and the online-backup API. Together with
// clock_vfs.cpp, sqlite.cpp is the only code that includes sqlite3.h; engines see SQLite
// through this header alone.
//
// Threading: a Connection is NOT thread-safe (opened with SQLITE_OPEN_NOMUTEX). The owner
// serializes every call, including statement stepping, under its own mutex.
//
// Errors: every failing call returns an SqlError carrying SQLite's message, its primary and
// extended result codes, the error offset (for prepare errors) and a Kind that says whose
// fault it is (the caller's SQL, a limit, an authorizer refusal, a lock, or the emulator).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace era::store::sqlite {

struct Blob {
  std::vector<uint8_t> bytes;
  bool operator==(const Blob&) const = default;
};
// NULL, INTEGER, REAL, TEXT, BLOB — SQLite's five storage classes.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

struct SqlError {
  enum class Kind {
    sql,       // syntax, constraint, missing table, mismatch: the caller's statement
    limit,     // a sqlite3_limit was hit (too many variables/columns/args, too big, too long)
    auth,      // the authorizer refused the statement
    busy,      // SQLITE_BUSY / SQLITE_LOCKED past the busy timeout
    interrupted,  // ended by the connection's watch (deadline or cancel): see Connection::watch
    internal,  // I/O, corruption, disk full, out of memory: not the caller's fault
  };
  Kind kind = Kind::internal;
  int code = 0;      // primary result code (SQLITE_ERROR = 1, ...)
  int extended = 0;  // extended result code
  std::string message;
  int offset = -1;  // byte offset of the error in the prepared text, -1 when none

  // "SQLITE_CONSTRAINT" for the primary code.
  std::string code_name() const;
  // workerd's rendering: "<message>[ at offset <n>]: SQLITE_<CODE>".
  std::string text() const;
};

template <class T>
using SqlResult = std::expected<T, SqlError>;
using SqlStatus = std::expected<void, SqlError>;

// The sqlite3_limit categories the D1 engine sets.
enum class Limit {
  length, sql_length, column, variable_number, like_pattern_length, function_arg, attached,
  compound_select, expr_depth, vdbe_op, trigger_depth,
};

// What the authorizer is asked about (SQLite's action codes, reduced to what policy needs).
enum class AuthAction {
  other, pragma, attach, detach, transaction, savepoint, read, insert, update, del,
  create_table, create_index, create_view, create_trigger, create_vtable,
  create_temp_table, create_temp_index, create_temp_view, create_temp_trigger,
  drop_table, drop_index, drop_view, drop_trigger, drop_vtable,
  drop_temp_table, drop_temp_index, drop_temp_view, drop_temp_trigger,
  alter_table, analyze, reindex, function, select, recursive,
};

struct AuthRequest {
  AuthAction action = AuthAction::other;
  std::string_view arg1;  // table/index/pragma name, per sqlite3_set_authorizer's table
  std::string_view arg2;  // column / pragma argument / table of an index
  std::string_view db;    // "main", "temp", ...
};

// nullopt allows; an empty string denies with SQLite's own "not authorized"; any other
// string denies and becomes the error message of the refused statement.
using Authorizer = std::function<std::optional<std::string>(const AuthRequest&)>;

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* s, sqlite3* db) : stmt_(s), db_(db) {}
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  int param_count() const;
  // index is 1-based, as in SQLite. Fails with SQLITE_TOOBIG past SQLITE_LIMIT_LENGTH.
  SqlStatus bind(int index, const Value& v);
  // true: a row is ready; false: done.
  SqlResult<bool> step();
  int column_count() const;
  std::string column_name(int i) const;
  Value column(int i) const;
  // The column's value when it is an INTEGER (nothing copied otherwise).
  std::optional<int64_t> column_int(int i) const;
  bool readonly() const;
  // SQLITE_STMTSTATUS_FULLSCAN_STEP: forward steps of full table scans.
  int64_t fullscan_steps() const;
  sqlite3_stmt* handle() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

struct OpenOptions {
  std::string vfs;                // empty = the default VFS
  int busy_timeout_ms = 5000;     // a backstop: the owner serializes access anyway
  bool wal = true;                // journal_mode=WAL (else DELETE + synchronous=FULL)
  // WAL only. false: synchronous=OFF — a commit is in the OS page cache when it returns, which
  // survives kill -9 of the process, and nothing (not even a checkpoint) ever waits for fsync,
  // so a disk busy with someone else's writes cannot stall a query behind a flush.
  // true: synchronous=FULL — every commit fsyncs the WAL (power-loss safe).
  bool durable = false;
  bool foreign_keys = true;
  std::vector<std::pair<Limit, int>> limits;
};

// One instruction of a statement's bytecode program that ran, and how many times it ran. Only
// the opcodes someone asked about have a name here; every other one is `other`.
enum class Opcode : uint8_t {
  other, Rewind, Last, SeekGE, SeekGT, SeekLE, SeekLT, SeekRowid, NotExists, Next, Prev,
  SorterSort, Sort, SorterNext, Count, VNext, Insert, IdxInsert, Delete, Clear, VUpdate,
  OpenRead, OpenWrite, ReopenIdx, OpenEphemeral, OpenAutoindex, OpenDup, OpenPseudo, SorterOpen,
  ResultRow, Copy, SCopy,
};
struct ExecutedOp {
  int program = 0;  // 0: the statement's own program; 1, 2, ...: its trigger sub-programs
  int addr = 0;     // numbered from 0 within its program
  Opcode opcode = Opcode::other;
  int64_t p1 = 0, p2 = 0, p3 = 0, p5 = 0;
  int64_t nexec = 0;
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens (creating when missing) the database file and applies the options.
  static SqlResult<std::unique_ptr<Connection>> open(const std::filesystem::path& file,
                                                     const OpenOptions& opts);
  // Opens an existing file read-only (for restoring from a snapshot).
  static SqlResult<std::unique_ptr<Connection>> open_readonly(const std::filesystem::path& file);

  // Runs trusted SQL (the authorizer is bypassed), discarding rows.
  SqlStatus exec(const std::string& sql);
  // The same for one statement the engine runs on every request (BEGIN IMMEDIATE, COMMIT,
  // ROLLBACK): prepared once per connection and reused.
  SqlStatus exec_cached(const char* sql);
  // Prepares the first statement of sql.substr(offset) (parsed up to the string's terminating
  // NUL, so SQLITE_LIMIT_SQL_LENGTH applies per statement). On success `next` is the offset
  // just past that statement; a statement-less remainder (space, comments) yields nullopt.
  SqlResult<std::optional<Statement>> prepare(const std::string& sql, size_t offset, size_t& next);

  void set_authorizer(Authorizer a);

  // A watch over the caller's statements (never the trusted ones: BEGIN/COMMIT/ROLLBACK and
  // pragmas always finish): SQLite's progress handler ends a statement that runs past
  // `deadline`, or once `*cancel` is non-zero (set from any thread), with SQLITE_INTERRUPT. An
  // interrupted statement's transaction is rolled back by SQLite; the connection stays usable.
  struct Watch {
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    const std::atomic<int>* cancel = nullptr;
  };
  enum class Interrupted { no, deadline, cancel };
  void watch(const Watch& w) {
    watch_ = w;
    interrupted_ = Interrupted::no;
  }
  void unwatch() { watch_ = Watch{}; }
  // Why the last interrupted statement was ended (reset by watch()).
  Interrupted interrupted() const { return interrupted_; }
  // While trusted, the authorizer allows everything (the engine's own BEGIN/COMMIT, pragmas).
  void set_trusted(bool t) { trusted_ = t; }

  int64_t changes() const;
  int64_t total_changes() const;
  int64_t last_insert_rowid() const;
  bool in_transaction() const;
  // page_count * page_size of the main database.
  SqlResult<int64_t> size_bytes();
  // The integer a read-only PRAGMA returns (e.g. "schema_version"), run trusted.
  SqlResult<int64_t> pragma_int(const char* name);

  // Fills `out` with the instructions of `st` (prepared here, stepped to its end) that ran at
  // least once, with their counts, in program order — the bytecode() table's nexec column.
  // false when this SQLite does not count (built without SQLITE_ENABLE_STMT_SCANSTATUS and
  // SQLITE_ENABLE_BYTECODE_VTAB, e.g. -DERA_BUNDLED_SQLITE=OFF).
  SqlResult<bool> executed_ops(const Statement& st, std::vector<ExecutedOp>& out);
  // How many rows the table whose table or index b-tree starts at `root_page` (of the main
  // database) holds, run trusted; nullopt when no table has that root.
  SqlResult<std::optional<int64_t>> rows_at_root(int64_t root_page);

  // Online backup of the whole main database into `file` (replaced), consistent as of the call.
  SqlStatus backup_to(const std::filesystem::path& file);
  // Replaces this database's content with that of `src` (online backup from src).
  SqlStatus restore_from(Connection& src);

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db);
  static int authorize_cb(void* self, int action, const char* a1, const char* a2,
                          const char* db, const char* inner);
  static int progress_cb(void* self);
  SqlError last_error(int rc, bool with_offset) const;
  // A trusted statement from the per-connection cache (prepared on first use); null on error.
  sqlite3_stmt* cached(const char* sql, int& rc);
  struct TrustedScope;  // trusted_ set for a block, restored after

  sqlite3* db_ = nullptr;
  std::vector<std::pair<std::string, sqlite3_stmt*>> cache_;  // a handful of entries
  Authorizer authorizer_;
  struct Inspector;                    // executed_ops: bytecode() on a private connection
  std::unique_ptr<Inspector> inspector_;
  bool trusted_ = false;
  std::string deny_message_;  // set by a refusal with a custom message
  Watch watch_;
  Interrupted interrupted_ = Interrupted::no;
};

// True when `sql` from `offset` holds nothing but whitespace, comments and semicolons.
bool only_space_or_comments(std::string_view sql);

}  // namespace era::store::sqlite
