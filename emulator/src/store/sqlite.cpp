#include "store/sqlite.h"

#include <sqlite3.h>

#include <cstring>
#include <unordered_map>

namespace era::store::sqlite {
namespace {

const char* primary_name(int code) {
  switch (code & 0xff) {
    case SQLITE_OK: return "SQLITE_OK";
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_EMPTY: return "SQLITE_EMPTY";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_NOLFS: return "SQLITE_NOLFS";
    case SQLITE_AUTH: return "SQLITE_AUTH";
    case SQLITE_FORMAT: return "SQLITE_FORMAT";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    case SQLITE_NOTICE: return "SQLITE_NOTICE";
    case SQLITE_WARNING: return "SQLITE_WARNING";
    case SQLITE_ROW: return "SQLITE_ROW";
    case SQLITE_DONE: return "SQLITE_DONE";
    default: return "SQLITE_UNKNOWN";
  }
}

// The extended result codes' names (sqlite3.h), for workerd's "(extended: …)" suffix.
const char* extended_name(int code) {
  switch (code) {
    case SQLITE_ERROR_MISSING_COLLSEQ: return "SQLITE_ERROR_MISSING_COLLSEQ";
    case SQLITE_ERROR_RETRY: return "SQLITE_ERROR_RETRY";
    case SQLITE_ERROR_SNAPSHOT: return "SQLITE_ERROR_SNAPSHOT";
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_DIR_FSYNC: return "SQLITE_IOERR_DIR_FSYNC";
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_FSTAT: return "SQLITE_IOERR_FSTAT";
    case SQLITE_IOERR_UNLOCK: return "SQLITE_IOERR_UNLOCK";
    case SQLITE_IOERR_RDLOCK: return "SQLITE_IOERR_RDLOCK";
    case SQLITE_IOERR_DELETE: return "SQLITE_IOERR_DELETE";
    case SQLITE_IOERR_BLOCKED: return "SQLITE_IOERR_BLOCKED";
    case SQLITE_IOERR_NOMEM: return "SQLITE_IOERR_NOMEM";
    case SQLITE_IOERR_ACCESS: return "SQLITE_IOERR_ACCESS";
    case SQLITE_IOERR_CHECKRESERVEDLOCK: return "SQLITE_IOERR_CHECKRESERVEDLOCK";
    case SQLITE_IOERR_LOCK: return "SQLITE_IOERR_LOCK";
    case SQLITE_IOERR_CLOSE: return "SQLITE_IOERR_CLOSE";
    case SQLITE_IOERR_DIR_CLOSE: return "SQLITE_IOERR_DIR_CLOSE";
    case SQLITE_IOERR_SHMOPEN: return "SQLITE_IOERR_SHMOPEN";
    case SQLITE_IOERR_SHMSIZE: return "SQLITE_IOERR_SHMSIZE";
    case SQLITE_IOERR_SHMLOCK: return "SQLITE_IOERR_SHMLOCK";
    case SQLITE_IOERR_SHMMAP: return "SQLITE_IOERR_SHMMAP";
    case SQLITE_IOERR_SEEK: return "SQLITE_IOERR_SEEK";
    case SQLITE_IOERR_DELETE_NOENT: return "SQLITE_IOERR_DELETE_NOENT";
    case SQLITE_IOERR_MMAP: return "SQLITE_IOERR_MMAP";
    case SQLITE_IOERR_GETTEMPPATH: return "SQLITE_IOERR_GETTEMPPATH";
    case SQLITE_IOERR_CONVPATH: return "SQLITE_IOERR_CONVPATH";
    case SQLITE_IOERR_VNODE: return "SQLITE_IOERR_VNODE";
    case SQLITE_IOERR_AUTH: return "SQLITE_IOERR_AUTH";
    case SQLITE_IOERR_BEGIN_ATOMIC: return "SQLITE_IOERR_BEGIN_ATOMIC";
    case SQLITE_IOERR_COMMIT_ATOMIC: return "SQLITE_IOERR_COMMIT_ATOMIC";
    case SQLITE_IOERR_ROLLBACK_ATOMIC: return "SQLITE_IOERR_ROLLBACK_ATOMIC";
    case SQLITE_IOERR_DATA: return "SQLITE_IOERR_DATA";
    case SQLITE_IOERR_CORRUPTFS: return "SQLITE_IOERR_CORRUPTFS";
    case SQLITE_LOCKED_SHAREDCACHE: return "SQLITE_LOCKED_SHAREDCACHE";
    case SQLITE_LOCKED_VTAB: return "SQLITE_LOCKED_VTAB";
    case SQLITE_BUSY_RECOVERY: return "SQLITE_BUSY_RECOVERY";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
    case SQLITE_BUSY_TIMEOUT: return "SQLITE_BUSY_TIMEOUT";
    case SQLITE_CANTOPEN_NOTEMPDIR: return "SQLITE_CANTOPEN_NOTEMPDIR";
    case SQLITE_CANTOPEN_ISDIR: return "SQLITE_CANTOPEN_ISDIR";
    case SQLITE_CANTOPEN_FULLPATH: return "SQLITE_CANTOPEN_FULLPATH";
    case SQLITE_CANTOPEN_CONVPATH: return "SQLITE_CANTOPEN_CONVPATH";
    case SQLITE_CANTOPEN_DIRTYWAL: return "SQLITE_CANTOPEN_DIRTYWAL";
    case SQLITE_CANTOPEN_SYMLINK: return "SQLITE_CANTOPEN_SYMLINK";
    case SQLITE_CORRUPT_VTAB: return "SQLITE_CORRUPT_VTAB";
    case SQLITE_CORRUPT_SEQUENCE: return "SQLITE_CORRUPT_SEQUENCE";
    case SQLITE_CORRUPT_INDEX: return "SQLITE_CORRUPT_INDEX";
    case SQLITE_READONLY_RECOVERY: return "SQLITE_READONLY_RECOVERY";
    case SQLITE_READONLY_CANTLOCK: return "SQLITE_READONLY_CANTLOCK";
    case SQLITE_READONLY_ROLLBACK: return "SQLITE_READONLY_ROLLBACK";
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED";
    case SQLITE_READONLY_CANTINIT: return "SQLITE_READONLY_CANTINIT";
    case SQLITE_READONLY_DIRECTORY: return "SQLITE_READONLY_DIRECTORY";
    case SQLITE_ABORT_ROLLBACK: return "SQLITE_ABORT_ROLLBACK";
    case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
    case SQLITE_CONSTRAINT_COMMITHOOK: return "SQLITE_CONSTRAINT_COMMITHOOK";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
    case SQLITE_CONSTRAINT_FUNCTION: return "SQLITE_CONSTRAINT_FUNCTION";
    case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
    case SQLITE_CONSTRAINT_TRIGGER: return "SQLITE_CONSTRAINT_TRIGGER";
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    case SQLITE_CONSTRAINT_VTAB: return "SQLITE_CONSTRAINT_VTAB";
    case SQLITE_CONSTRAINT_ROWID: return "SQLITE_CONSTRAINT_ROWID";
    case SQLITE_CONSTRAINT_PINNED: return "SQLITE_CONSTRAINT_PINNED";
    case SQLITE_CONSTRAINT_DATATYPE: return "SQLITE_CONSTRAINT_DATATYPE";
    case SQLITE_NOTICE_RECOVER_WAL: return "SQLITE_NOTICE_RECOVER_WAL";
    case SQLITE_NOTICE_RECOVER_ROLLBACK: return "SQLITE_NOTICE_RECOVER_ROLLBACK";
    case SQLITE_WARNING_AUTOINDEX: return "SQLITE_WARNING_AUTOINDEX";
    case SQLITE_AUTH_USER: return "SQLITE_AUTH_USER";
    case SQLITE_OK_LOAD_PERMANENTLY: return "SQLITE_OK_LOAD_PERMANENTLY";
    case SQLITE_OK_SYMLINK: return "SQLITE_OK_SYMLINK";
    default: return nullptr;
  }
}

bool is_limit_message(std::string_view m) {
  return m.starts_with("too many ") || m.starts_with("LIKE or GLOB pattern too complex") ||
         m.starts_with("string or blob too big") || m.starts_with("statement too long") ||
         m.starts_with("Expression tree is too large");
}

SqlError::Kind classify(int code, std::string_view msg) {
  switch (code & 0xff) {
    case SQLITE_AUTH: return SqlError::Kind::auth;
    case SQLITE_TOOBIG: return SqlError::Kind::limit;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return SqlError::Kind::busy;
    case SQLITE_ERROR:
      if (msg.starts_with("not authorized")) return SqlError::Kind::auth;  // "... to use function: f"
      return is_limit_message(msg) ? SqlError::Kind::limit : SqlError::Kind::sql;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_ABORT:
    case SQLITE_SCHEMA: return SqlError::Kind::sql;
    case SQLITE_INTERRUPT: return SqlError::Kind::interrupted;
    default: return SqlError::Kind::internal;
  }
}

SqlError make_error(int rc, std::string msg, int offset = -1) {
  SqlError e;
  e.code = rc & 0xff;
  e.extended = rc;
  e.message = std::move(msg);
  e.offset = offset;
  e.kind = classify(rc, e.message);
  return e;
}

AuthAction map_action(int a) {
  switch (a) {
    case SQLITE_PRAGMA: return AuthAction::pragma;
    case SQLITE_ATTACH: return AuthAction::attach;
    case SQLITE_DETACH: return AuthAction::detach;
    case SQLITE_TRANSACTION: return AuthAction::transaction;
    case SQLITE_SAVEPOINT: return AuthAction::savepoint;
    case SQLITE_READ: return AuthAction::read;
    case SQLITE_INSERT: return AuthAction::insert;
    case SQLITE_UPDATE: return AuthAction::update;
    case SQLITE_DELETE: return AuthAction::del;
    case SQLITE_CREATE_TABLE: return AuthAction::create_table;
    case SQLITE_CREATE_INDEX: return AuthAction::create_index;
    case SQLITE_CREATE_VIEW: return AuthAction::create_view;
    case SQLITE_CREATE_TRIGGER: return AuthAction::create_trigger;
    case SQLITE_CREATE_VTABLE: return AuthAction::create_vtable;
    case SQLITE_CREATE_TEMP_TABLE: return AuthAction::create_temp_table;
    case SQLITE_CREATE_TEMP_INDEX: return AuthAction::create_temp_index;
    case SQLITE_CREATE_TEMP_VIEW: return AuthAction::create_temp_view;
    case SQLITE_CREATE_TEMP_TRIGGER: return AuthAction::create_temp_trigger;
    case SQLITE_DROP_TABLE: return AuthAction::drop_table;
    case SQLITE_DROP_INDEX: return AuthAction::drop_index;
    case SQLITE_DROP_VIEW: return AuthAction::drop_view;
    case SQLITE_DROP_TRIGGER: return AuthAction::drop_trigger;
    case SQLITE_DROP_VTABLE: return AuthAction::drop_vtable;
    case SQLITE_DROP_TEMP_TABLE: return AuthAction::drop_temp_table;
    case SQLITE_DROP_TEMP_INDEX: return AuthAction::drop_temp_index;
    case SQLITE_DROP_TEMP_VIEW: return AuthAction::drop_temp_view;
    case SQLITE_DROP_TEMP_TRIGGER: return AuthAction::drop_temp_trigger;
    case SQLITE_ALTER_TABLE: return AuthAction::alter_table;
    case SQLITE_ANALYZE: return AuthAction::analyze;
    case SQLITE_REINDEX: return AuthAction::reindex;
    case SQLITE_FUNCTION: return AuthAction::function;
    case SQLITE_SELECT: return AuthAction::select;
    case SQLITE_RECURSIVE: return AuthAction::recursive;
    default: return AuthAction::other;
  }
}

int limit_id(Limit l) {
  switch (l) {
    case Limit::length: return SQLITE_LIMIT_LENGTH;
    case Limit::sql_length: return SQLITE_LIMIT_SQL_LENGTH;
    case Limit::column: return SQLITE_LIMIT_COLUMN;
    case Limit::variable_number: return SQLITE_LIMIT_VARIABLE_NUMBER;
    case Limit::like_pattern_length: return SQLITE_LIMIT_LIKE_PATTERN_LENGTH;
    case Limit::function_arg: return SQLITE_LIMIT_FUNCTION_ARG;
    case Limit::attached: return SQLITE_LIMIT_ATTACHED;
    case Limit::compound_select: return SQLITE_LIMIT_COMPOUND_SELECT;
    case Limit::expr_depth: return SQLITE_LIMIT_EXPR_DEPTH;
    case Limit::vdbe_op: return SQLITE_LIMIT_VDBE_OP;
    case Limit::trigger_depth: return SQLITE_LIMIT_TRIGGER_DEPTH;
  }
  return -1;
}

SqlStatus backup(sqlite3* dest, sqlite3* src) {
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", src, "main");
  if (!b) return std::unexpected(make_error(sqlite3_extended_errcode(dest), sqlite3_errmsg(dest)));
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    return std::unexpected(make_error(rc, std::string("backup failed: ") + sqlite3_errstr(rc)));
  return {};
}

}  // namespace

std::string SqlError::code_name() const { return primary_name(code); }

std::string SqlError::text() const {
  std::string out = message;
  if (offset >= 0) out += " at offset " + std::to_string(offset);
  out += ": ";
  out += code_name();
  // As workerd's dbErrorMessage (src/workerd/util/sqlite.c++): the extended code when it says
  // more, e.g. "UNIQUE constraint failed: u.v: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)".
  if (extended != code)
    if (const char* ext = extended_name(extended)) out.append(" (extended: ").append(ext).append(")");
  return out;
}

bool only_space_or_comments(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ';') {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      size_t nl = s.find('\n', i);
      if (nl == std::string_view::npos) return true;
      i = nl + 1;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return true;  // SQLite treats an open comment as space
      i = end + 2;
    } else {
      return false;
    }
  }
  return true;
}

// ---- Statement ------------------------------------------------------------------------------

Statement::Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    db_ = o.db_;
    o.stmt_ = nullptr;
  }
  return *this;
}
Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

int Statement::param_count() const { return sqlite3_bind_parameter_count(stmt_); }

SqlStatus Statement::bind(int i, const Value& v) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(v)) {
    rc = sqlite3_bind_null(stmt_, i);
  } else if (auto* n = std::get_if<int64_t>(&v)) {
    rc = sqlite3_bind_int64(stmt_, i, *n);
  } else if (auto* d = std::get_if<double>(&v)) {
    rc = sqlite3_bind_double(stmt_, i, *d);
  } else if (auto* s = std::get_if<std::string>(&v)) {
    rc = sqlite3_bind_text64(stmt_, i, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else if (auto* b = std::get_if<Blob>(&v)) {
    // A null pointer would bind SQL NULL: an empty BLOB needs a valid (if unread) address.
    static const uint8_t kEmpty = 0;
    const void* data = b->bytes.empty() ? &kEmpty : b->bytes.data();
    rc = sqlite3_bind_blob64(stmt_, i, data, b->bytes.size(), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) {
    // sqlite3_errmsg is not set by bind failures; use the code's own text.
    return std::unexpected(make_error(rc, sqlite3_errstr(rc)));
  }
  return {};
}

SqlResult<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(make_error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_)));
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string Statement::column_name(int i) const {
  const char* n = sqlite3_column_name(stmt_, i);
  return n ? n : "";
}

Value Statement::column(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER: return static_cast<int64_t>(sqlite3_column_int64(stmt_, i));
    case SQLITE_FLOAT: return sqlite3_column_double(stmt_, i);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
      return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, i));
      Blob b;
      if (p) b.bytes.assign(p, p + sqlite3_column_bytes(stmt_, i));
      return b;
    }
    default: return nullptr;
  }
}

std::optional<int64_t> Statement::column_int(int i) const {
  if (sqlite3_column_type(stmt_, i) != SQLITE_INTEGER) return std::nullopt;
  return sqlite3_column_int64(stmt_, i);
}

bool Statement::readonly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

int64_t Statement::fullscan_steps() const {
  return sqlite3_stmt_status(stmt_, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
}

// ---- Connection -----------------------------------------------------------------------------


sqlite3_stmt* Connection::cached(const char* sql, int& rc) {
  rc = SQLITE_OK;
  for (auto& [text, stmt] : cache_)
    if (text == sql) return stmt;
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  cache_.emplace_back(sql, stmt);
  return stmt;
}

struct Connection::TrustedScope {
  Connection& c;
  bool was;
  explicit TrustedScope(Connection& conn) : c(conn), was(conn.trusted_) { c.trusted_ = true; }
  ~TrustedScope() { c.trusted_ = was; }
};

namespace {
// Steps `s` once, hands the row to `take` when one came, and resets `s`: SQLITE_OK for a row or
// for none, else the error code.
template <class Take>
int step_once(sqlite3_stmt* s, Take&& take) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) take(s);
  sqlite3_reset(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}
}  // namespace

SqlStatus Connection::exec_cached(const char* sql) {
  TrustedScope trusted(*this);  // also while stepping: a schema change re-prepares (and re-authorizes)
  int rc = SQLITE_OK;
  sqlite3_stmt* s = cached(sql, rc);
  std::optional<SqlError> err;
  if (s) {
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) err = make_error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
    sqlite3_reset(s);
  } else {
    err = make_error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
  }
  if (err) return std::unexpected(std::move(*err));
  return {};
}

SqlResult<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file,
                                                        const OpenOptions& o) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(file.c_str(), &db, flags, o.vfs.empty() ? nullptr : o.vfs.c_str());
  std::unique_ptr<Connection> c(new Connection(db));
  if (rc != SQLITE_OK)
    return std::unexpected(make_error(rc, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, o.busy_timeout_ms);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  // Debian builds SQLite with SQLITE_ENABLE_FTS3_TOKENIZER: registering a tokenizer from a blob
  // (a raw function pointer) stays off here, and the authorizer refuses fts3_tokenizer() too.
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  for (auto [l, v] : o.limits) sqlite3_limit(db, limit_id(l), v);
  // bytecode() and tables_used() (SQLITE_ENABLE_BYTECODE_VTAB, for executed_ops) are not part
  // of the database's SQL: dropped here, so `SELECT * FROM bytecode(...)` is "no such table"
  // and a table of that name can be created, as on D1. executed_ops reads through a private
  // in-memory connection instead.
  sqlite3_create_module(db, "bytecode", nullptr, nullptr);
  sqlite3_create_module(db, "tables_used", nullptr, nullptr);
  sqlite3_progress_handler(db, 1000, &Connection::progress_cb, c.get());
  // One connection owns the file (the emulator serialises access to it): an exclusive lock,
  // taken once and kept, spares every transaction its fcntl lock calls, and puts the WAL index
  // in heap memory instead of a shared-memory file.
  std::string pragmas = "PRAGMA locking_mode=EXCLUSIVE;";
  if (!o.wal) pragmas += "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;";
  else if (o.durable) pragmas += "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
  else pragmas += "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;";
  pragmas += o.foreign_keys ? "PRAGMA foreign_keys=ON;" : "PRAGMA foreign_keys=OFF;";
  // Sorts and temporary b-trees stay in memory: no temp file ever lands outside the data dir.
  pragmas += "PRAGMA temp_store=MEMORY;";
  if (auto st = c->exec(pragmas); !st) return std::unexpected(st.error());
  return c;
}

SqlResult<std::unique_ptr<Connection>> Connection::open_readonly(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Connection> c(new Connection(db));
  if (rc != SQLITE_OK)
    return std::unexpected(make_error(rc, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(db, 1);
  return c;
}

SqlError Connection::last_error(int rc, bool with_offset) const {
  int ext = sqlite3_extended_errcode(db_);
  if ((ext & 0xff) != (rc & 0xff)) ext = rc;
  std::string msg = sqlite3_errmsg(db_);
  int offset = with_offset ? sqlite3_error_offset(db_) : -1;
  if ((rc & 0xff) == SQLITE_AUTH && !deny_message_.empty()) {
    msg = deny_message_;
    offset = -1;
  }
  return make_error(ext, std::move(msg), offset);
}

SqlStatus Connection::exec(const std::string& sql) {
  TrustedScope trusted(*this);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return std::unexpected(make_error(sqlite3_extended_errcode(db_), std::move(msg)));
  }
  return {};
}

SqlResult<std::optional<Statement>> Connection::prepare(const std::string& sql, size_t offset,
                                                        size_t& next) {
  const char* start = sql.c_str() + offset;
  // Passing the length including the terminating NUL makes SQLite skip its whole-input
  // length check and apply SQLITE_LIMIT_SQL_LENGTH to the statement it parses.
  int n = static_cast<int>(std::min<size_t>(sql.size() - offset + 1, 0x7fffffff));
  sqlite3_stmt* s = nullptr;
  const char* tail = nullptr;
  deny_message_.clear();
  int rc = sqlite3_prepare_v2(db_, start, n, &s, &tail);
  // While parsing, TOOBIG can only mean the statement passed SQLITE_LIMIT_SQL_LENGTH (literals
  // are shorter than that limit); SQLite then reports the generic text, D1 the specific one.
  if ((rc & 0xff) == SQLITE_TOOBIG) return std::unexpected(make_error(rc, "statement too long", -1));
  if (rc != SQLITE_OK) return std::unexpected(last_error(rc, true));
  next = tail ? offset + static_cast<size_t>(tail - start) : sql.size();
  if (next > sql.size()) next = sql.size();
  if (!s) return std::optional<Statement>{};
  return std::optional<Statement>(Statement(s, db_));
}

void Connection::set_authorizer(Authorizer a) {
  authorizer_ = std::move(a);
  sqlite3_set_authorizer(db_, authorizer_ ? &Connection::authorize_cb : nullptr, this);
}

int Connection::authorize_cb(void* self, int action, const char* a1, const char* a2,
                             const char* db, const char*) {
  auto* c = static_cast<Connection*>(self);
  if (c->trusted_ || !c->authorizer_) return SQLITE_OK;
  AuthRequest r;
  r.action = map_action(action);
  r.arg1 = a1 ? a1 : "";
  r.arg2 = a2 ? a2 : "";
  r.db = db ? db : "";
  auto verdict = c->authorizer_(r);
  if (!verdict) return SQLITE_OK;
  if (!verdict->empty() && c->deny_message_.empty()) c->deny_message_ = *verdict;
  return SQLITE_DENY;
}

int Connection::progress_cb(void* self) {
  auto* c = static_cast<Connection*>(self);
  if (c->trusted_) return 0;
  const Watch& w = c->watch_;
  if (w.cancel && w.cancel->load(std::memory_order_relaxed) != 0) {
    c->interrupted_ = Interrupted::cancel;
    return 1;
  }
  if (w.deadline != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() >= w.deadline) {
    c->interrupted_ = Interrupted::deadline;
    return 1;
  }
  return 0;
}

int64_t Connection::changes() const { return sqlite3_changes64(db_); }
int64_t Connection::total_changes() const { return sqlite3_total_changes64(db_); }
int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

SqlResult<int64_t> Connection::pragma_int(const char* name) {
  TrustedScope trusted(*this);
  std::string q = std::string("PRAGMA ") + name;
  int rc = SQLITE_OK;
  int64_t v = 0;
  if (sqlite3_stmt* s = cached(q.c_str(), rc))
    rc = step_once(s, [&](sqlite3_stmt* row) { v = sqlite3_column_int64(row, 0); });
  if (rc != SQLITE_OK) return std::unexpected(last_error(rc, false));
  return v;
}

namespace {
Opcode opcode_named(std::string_view n) {
  static constexpr std::pair<std::string_view, Opcode> kNames[] = {
      {"Rewind", Opcode::Rewind},         {"Last", Opcode::Last},
      {"SeekGE", Opcode::SeekGE},         {"SeekGT", Opcode::SeekGT},
      {"SeekLE", Opcode::SeekLE},         {"SeekLT", Opcode::SeekLT},
      {"SeekRowid", Opcode::SeekRowid},   {"NotExists", Opcode::NotExists},
      {"Next", Opcode::Next},             {"Prev", Opcode::Prev},
      {"SorterSort", Opcode::SorterSort}, {"Sort", Opcode::Sort},
      {"SorterNext", Opcode::SorterNext}, {"Count", Opcode::Count},
      {"VNext", Opcode::VNext},           {"Insert", Opcode::Insert},
      {"IdxInsert", Opcode::IdxInsert},   {"Delete", Opcode::Delete},
      {"Clear", Opcode::Clear},           {"VUpdate", Opcode::VUpdate},
      {"OpenRead", Opcode::OpenRead},     {"OpenWrite", Opcode::OpenWrite},
      {"ReopenIdx", Opcode::ReopenIdx},   {"OpenEphemeral", Opcode::OpenEphemeral},
      {"OpenAutoindex", Opcode::OpenAutoindex}, {"OpenDup", Opcode::OpenDup},
      {"OpenPseudo", Opcode::OpenPseudo}, {"SorterOpen", Opcode::SorterOpen},
      {"ResultRow", Opcode::ResultRow},   {"Copy", Opcode::Copy},
      {"SCopy", Opcode::SCopy},
  };
  for (auto [name, op] : kNames)
    if (name == n) return op;
  return Opcode::other;
}
}  // namespace

// bytecode() on a private in-memory connection, and the layout of every one-program statement
// seen so far. Listing a program with its operands costs ~0.3 µs per instruction; once a SQL
// text's layout is known, only the address, name and count of the instructions that ran are
// listed (about half that), each checked against the layout by name.
struct Connection::Inspector {
  struct Instr {
    uint32_t name;  // hash of the opcode's name
    ExecutedOp op;  // nexec unused
  };
  // Per database: at most ~64 × (a few dozen instructions × 64 bytes) ≈ 0.2 MiB.
  static constexpr size_t kMaxLayouts = 64;
  static uint32_t hash(const char* s) {  // FNV-1a
    uint32_t h = 2166136261u;
    for (; s && *s; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 16777619u;
    return h;
  }

  sqlite3* db = nullptr;
  sqlite3_stmt* full = nullptr;  // every instruction, operands and count
  sqlite3_stmt* ran = nullptr;   // the instructions that ran: address, name, count
  std::unordered_map<std::string, std::vector<Instr>> layouts;  // SQL text -> its program

  ~Inspector() {
    sqlite3_finalize(full);
    sqlite3_finalize(ran);
    sqlite3_close_v2(db);
  }
  int open() {
    int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return rc;
    sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, nullptr, 0, 0);
    rc = sqlite3_prepare_v3(db, "SELECT addr, opcode, p1, p2, p3, p5, nexec FROM bytecode(?1)", -1,
                            SQLITE_PREPARE_PERSISTENT, &full, nullptr);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_prepare_v3(db, "SELECT addr, opcode, nexec FROM bytecode(?1) WHERE nexec > 0", -1,
                              SQLITE_PREPARE_PERSISTENT, &ran, nullptr);
  }

  // From the layout: false when the program that ran is not the one cached (then `out` is
  // cleared and the caller lists it in full).
  SqlResult<bool> from_layout(sqlite3_stmt* target, const std::vector<Instr>& layout,
                              std::vector<ExecutedOp>& out) {
    sqlite3_bind_pointer(ran, 1, target, "stmt-pointer", nullptr);
    bool same = true;
    int rc = SQLITE_OK, last_addr = -1;
    while (same && (rc = sqlite3_step(ran)) == SQLITE_ROW) {
      int addr = sqlite3_column_int(ran, 0);
      const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(ran, 1));
      same = addr > last_addr && size_t(addr) < layout.size() && layout[addr].name == hash(name);
      last_addr = addr;
      if (!same) break;
      ExecutedOp& op = out.emplace_back(layout[addr].op);
      op.nexec = sqlite3_column_int64(ran, 2);
    }
    std::optional<SqlError> err;
    if (same && rc != SQLITE_DONE) err = make_error(rc, sqlite3_errmsg(db));
    sqlite3_reset(ran);
    sqlite3_clear_bindings(ran);
    if (err) return std::unexpected(*err);
    if (!same) out.clear();
    return same;
  }

  // Lists every instruction: those that ran go to `out`; the layout is kept for `key` when the
  // statement is one program (statements with trigger programs are listed in full every time).
  SqlStatus list_full(sqlite3_stmt* target, const char* key, std::vector<ExecutedOp>& out) {
    sqlite3_bind_pointer(full, 1, target, "stmt-pointer", nullptr);
    std::vector<Instr> layout;
    // The statement's program comes first, then each trigger sub-program, each numbered from 0:
    // an address that does not grow starts the next program.
    int program = 0, last_addr = -1;
    int rc;
    while ((rc = sqlite3_step(full)) == SQLITE_ROW) {
      ExecutedOp op;
      op.addr = sqlite3_column_int(full, 0);
      if (op.addr <= last_addr) ++program;
      last_addr = op.addr;
      op.program = program;
      const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(full, 1));
      op.opcode = opcode_named(name ? name : "");
      op.p1 = sqlite3_column_int64(full, 2);
      op.p2 = sqlite3_column_int64(full, 3);
      op.p3 = sqlite3_column_int64(full, 4);
      op.p5 = sqlite3_column_int64(full, 5);
      op.nexec = sqlite3_column_int64(full, 6);
      if (op.nexec > 0) out.push_back(op);
      if (program == 0) layout.push_back(Instr{hash(name), op});
    }
    std::optional<SqlError> err;
    if (rc != SQLITE_DONE) err = make_error(rc, sqlite3_errmsg(db));
    sqlite3_reset(full);
    sqlite3_clear_bindings(full);
    if (err) return std::unexpected(*err);
    if (key && program == 0) {
      if (layouts.size() >= kMaxLayouts) layouts.clear();
      layouts.insert_or_assign(key, std::move(layout));
    } else if (key) {
      layouts.erase(key);  // it has trigger programs now
    }
    return {};
  }
};

Connection::Connection(sqlite3* db) : db_(db) {}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_) sqlite3_close_v2(db_);
}

SqlResult<bool> Connection::executed_ops(const Statement& st, std::vector<ExecutedOp>& out) {
  out.clear();
  static const bool counted = sqlite3_compileoption_used("ENABLE_STMT_SCANSTATUS") &&
                              sqlite3_compileoption_used("ENABLE_BYTECODE_VTAB");
  if (!counted) return false;
  if (!inspector_) {  // on first use; a few KiB, no file
    auto in = std::make_unique<Inspector>();
    if (int rc = in->open(); rc != SQLITE_OK)
      return std::unexpected(make_error(rc, in->db ? sqlite3_errmsg(in->db) : sqlite3_errstr(rc)));
    inspector_ = std::move(in);
  }
  Inspector& in = *inspector_;
  const char* key = sqlite3_sql(st.handle());
  if (key) {
    if (auto it = in.layouts.find(key); it != in.layouts.end()) {
      auto same = in.from_layout(st.handle(), it->second, out);
      if (!same) return std::unexpected(same.error());
      if (*same) return true;
    }
  }
  auto listed = in.list_full(st.handle(), key, out);
  if (!listed) return std::unexpected(listed.error());
  return true;
}

SqlResult<std::optional<int64_t>> Connection::rows_at_root(int64_t root_page) {
  TrustedScope trusted(*this);
  int rc = SQLITE_OK;
  std::optional<std::string> table;
  if (sqlite3_stmt* s = cached("SELECT tbl_name FROM main.sqlite_schema WHERE rootpage = ?1", rc)) {
    sqlite3_bind_int64(s, 1, root_page);
    rc = step_once(s, [&](sqlite3_stmt* row) {
      table = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
    });
  }
  std::optional<int64_t> rows;
  if (rc == SQLITE_OK && table) {
    std::string quoted = "\"";
    for (char ch : *table) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    std::string sql = "SELECT count(*) FROM main." + quoted + "\"";
    sqlite3_stmt* s = nullptr;
    rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    if (rc == SQLITE_OK) rc = step_once(s, [&](sqlite3_stmt* row) { rows = sqlite3_column_int64(row, 0); });
    sqlite3_finalize(s);
  }
  if (rc != SQLITE_OK) return std::unexpected(last_error(rc, false));
  return rows;
}

SqlResult<int64_t> Connection::size_bytes() {
  auto pages = pragma_int("page_count");
  if (!pages) return pages;
  auto size = pragma_int("page_size");
  if (!size) return size;
  return *pages * *size;
}

SqlStatus Connection::backup_to(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::remove(file, ec);
  sqlite3* dest = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &dest,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc);
    sqlite3_close_v2(dest);
    return std::unexpected(make_error(rc, "cannot create " + file.string() + ": " + msg));
  }
  auto st = backup(dest, db_);
  sqlite3_close_v2(dest);
  return st;
}

SqlStatus Connection::restore_from(Connection& src) { return backup(db_, src.db_); }

}  // namespace era::store::sqlite
