#include "d1/engine.h"

#include <sys/stat.h>
#include <fcntl.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <set>

#include "core/clock.h"
#include "core/names.h"
#include "d1/authorizer.h"
#include "d1/errors.h"
#include "d1/run.h"
#include "d1/validate.h"
#include "store/clock_vfs.h"
#include "store/paths.h"

namespace era::d1 {

namespace fs = std::filesystem;
using store::sqlite::Connection;
using store::sqlite::Value;

// One with_db call waiting for (or holding) its database.
struct Engine::Turn {
  enum class State { queued, lead, done, closed };
  const std::function<Status(Connection&)>* fn = nullptr;
  State state = State::queued;    // guarded by Db::queue_mu: what the waiting thread reads
  State outcome = State::done;    // written by whichever thread ran it, published as state
  std::condition_variable wake;
  Result<bool> result = true;
  std::exception_ptr thrown;
};

struct Engine::Db {
  std::mutex mu;                      // held for every use of conn
  std::unique_ptr<Connection> conn;   // null once closed by clear/restore
  // Flat combining (with_db): calls that find the database busy queue here, and the thread
  // that holds it runs them before it lets go.
  std::mutex queue_mu;
  std::deque<Turn*> queue;            // guarded by queue_mu
  bool combining = false;             // guarded by queue_mu: some thread is running the queue
};

namespace {

const char* kSuffixes[] = {"", "-wal", "-shm", "-journal"};

fs::path with_suffix(const fs::path& p, const char* suffix) { return fs::path(p.string() + suffix); }

// Removes a database file and its WAL/SHM companions; true when the main file existed.
bool remove_db_files(const fs::path& db) {
  std::error_code ec;
  bool existed = fs::exists(db, ec);
  for (const char* s : kSuffixes) fs::remove(with_suffix(db, s), ec);
  return existed;
}

int64_t ms_of(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1'000'000;
}

// created = birth time when the filesystem records one (else the change time), updated = the
// latest modification of the database or its WAL.
void file_times(const fs::path& db, int64_t& created, int64_t& updated) {
  created = updated = 0;
  struct statx sx {};
  if (::statx(AT_FDCWD, db.c_str(), 0, STATX_BTIME | STATX_MTIME | STATX_CTIME, &sx) == 0) {
    auto ts = [](const struct statx_timestamp& t) {
      return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1'000'000;
    };
    created = (sx.stx_mask & STATX_BTIME) ? ts(sx.stx_btime) : ts(sx.stx_ctime);
    updated = ts(sx.stx_mtime);
  }
  struct stat st {};
  if (::stat(with_suffix(db, "-wal").c_str(), &st) == 0) updated = std::max(updated, ms_of(st.st_mtim));
  if (created == 0 || created > updated) created = updated;
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// A trusted read on the admin side: all rows of one statement as Values.
Result<std::vector<std::vector<Value>>> select(Connection& c, const std::string& sql,
                                               const std::vector<Value>& params,
                                               std::vector<std::string>* names = nullptr) {
  c.set_trusted(true);
  struct Untrust {
    Connection& c;
    ~Untrust() { c.set_trusted(false); }
  } untrust{c};
  size_t next = 0;
  auto p = c.prepare(sql, 0, next);
  if (!p) return fail(errors::sql(p.error()));
  std::vector<std::vector<Value>> rows;
  if (!*p) return rows;
  auto& st = **p;
  for (size_t i = 0; i < params.size(); ++i) {
    auto b = st.bind(static_cast<int>(i + 1), params[i]);
    if (!b) return fail(errors::sql(b.error()));
  }
  if (names)
    for (int i = 0; i < st.column_count(); ++i) names->push_back(st.column_name(i));
  for (;;) {
    auto r = st.step();
    if (!r) return fail(errors::sql(r.error()));
    if (!*r) break;
    std::vector<Value> row;
    for (int i = 0; i < st.column_count(); ++i) row.push_back(st.column(i));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string text_of(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

const char* kUserTables =
    "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' "
    "ORDER BY name";

}  // namespace

Engine::Engine(const store::Paths& paths, core::Clock& clock, Options opts)
    : paths_(paths), clock_(clock), opts_(opts) {
  store::clock_vfs_name();  // register the VFS before any connection opens
}

Engine::~Engine() {
  std::lock_guard l(mu_);
  close_all_locked();
}

void Engine::close_all_locked() {
  for (auto& [ns, db] : dbs_) {
    std::lock_guard dl(db->mu);
    db->conn.reset();
  }
  dbs_.clear();
}

// A connection with D1's limits and refusals, on a database file or ":memory:".
static Result<std::unique_ptr<Connection>> open_d1(const fs::path& file, bool durable) {
  using store::sqlite::Limit;
  store::sqlite::OpenOptions o;
  o.vfs = store::clock_vfs_name();
  o.durable = durable;
  o.limits = {{Limit::length, kMaxValueBytes},
              {Limit::sql_length, kMaxSqlLength},
              {Limit::column, kMaxColumns},
              {Limit::variable_number, kMaxBoundParameters},
              {Limit::like_pattern_length, kMaxLikePattern},
              {Limit::function_arg, kMaxFunctionArgs},
              {Limit::compound_select, kMaxCompoundSelect},
              {Limit::expr_depth, kMaxExprDepth},
              {Limit::vdbe_op, kMaxVdbeOps},
              {Limit::trigger_depth, kMaxTriggerDepth},
              {Limit::attached, 0}};
  auto c = Connection::open(file, o);
  if (!c) return fail(errors::sql(c.error()));
  (*c)->set_authorizer(&authorize);
  return std::move(*c);
}

Result<std::unique_ptr<Connection>> Engine::open_connection(std::string_view ns) {
  std::error_code ec;
  fs::create_directories(paths_.d1_dir(), ec);
  if (ec) return fail(Code::STORE_IO, "cannot create " + paths_.d1_dir().string() + ": " + ec.message());
  return open_d1(paths_.d1_db(ns), opts_.durable);
}

Result<std::shared_ptr<Engine::Db>> Engine::get_db(std::string_view ns, bool create) {
  if (auto err = core::validate_namespace(ns)) return fail(*err);
  std::lock_guard l(mu_);
  if (auto it = dbs_.find(ns); it != dbs_.end()) return it->second;
  std::error_code ec;
  if (!create && !fs::exists(paths_.d1_db(ns), ec)) return std::shared_ptr<Db>();
  auto conn = open_connection(ns);
  if (!conn) return fail(conn.error());
  auto db = std::make_shared<Db>();
  db->conn = std::move(*conn);
  dbs_.emplace(std::string(ns), db);
  return db;
}

// Flat combining: a call that finds its database in use does not wait for the lock; it queues
// its fn, and the thread running the database runs it next, then wakes it with the result. The
// connection passes from one request to the next without a thread hand-off, so a waiting
// request never needs a core to be scheduled before the database moves on (with one lock and
// four handler threads on two cores, that hand-off was most of the D1 write tail). A thread
// runs at most kCombineTurns of other calls before it hands the queue to the oldest waiter.
Result<bool> Engine::with_db(std::string_view ns, bool create,
                             const std::function<Status(Connection&)>& fn) {
  // A database closed by clear()/restore_from() between lookup and lock is looked up again.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto db = get_db(ns, create);
    if (!db) return fail(db.error());
    if (!*db) return false;
    Db& d = **db;
    Turn turn;
    turn.fn = &fn;
    {
      std::unique_lock l(d.queue_mu);
      d.queue.push_back(&turn);
      if (d.combining) {
        turn.wake.wait(l, [&] { return turn.state != Turn::State::queued; });
      } else {
        turn.state = Turn::State::lead;
        d.combining = true;
      }
    }
    if (turn.state == Turn::State::lead) combine(d);  // runs this turn among others
    if (turn.thrown) std::rethrow_exception(turn.thrown);
    if (turn.outcome == Turn::State::closed) continue;
    return std::move(turn.result);
  }
  return fail(Code::D1_BUSY, "database kept being reset while this request waited");
}

void Engine::combine(Db& d) {
  size_t ran = 0;
  std::deque<Turn*> batch;  // swapped with the queue: taking a batch allocates nothing
  for (;;) {
    {
      std::lock_guard l(d.queue_mu);
      if (d.queue.empty()) {
        d.combining = false;
        return;
      }
      if (ran >= kCombineTurns) {  // enough for this thread: the oldest waiter runs the rest
        d.queue.front()->state = Turn::State::lead;
        d.queue.front()->wake.notify_one();
        return;
      }
      batch.clear();
      batch.swap(d.queue);
    }
    {
      std::lock_guard l(d.mu);
      for (Turn* t : batch) run_turn(d, *t);
    }
    std::lock_guard l(d.queue_mu);
    for (Turn* t : batch) {
      if (t->state != Turn::State::queued) continue;  // this thread's own
      combined_.fetch_add(1, std::memory_order_relaxed);
      // Published and signalled under queue_mu: the waiter cannot return (and free its Turn)
      // before this is done with it.
      t->state = t->outcome;
      t->wake.notify_one();
    }
    ran += batch.size();
  }
}

void Engine::run_turn(Db& d, Turn& t) {
  if (!d.conn) {
    t.outcome = Turn::State::closed;
    return;
  }
  Connection& c = *d.conn;
  c.watch({std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.query_timeout_ms), &cancel_});
  try {
    Status st = (*t.fn)(c);
    if (!st) t.result = fail(watched_error(c, std::move(st.error())));
  } catch (...) {
    t.thrown = std::current_exception();
  }
  c.unwatch();
  if (c.in_transaction()) (void)c.exec_cached("ROLLBACK");  // left open by a throw
  t.outcome = Turn::State::done;
}

Error Engine::watched_error(Connection& c, Error e) {
  using W = Connection::Interrupted;
  if (c.interrupted() == W::no) return e;
  Error out = errors::query_timeout(opts_.query_timeout_ms);
  if (c.interrupted() == W::cancel) {
    std::lock_guard l(cancel_mu_);
    out = errors::interrupted(cancel_by_);
  }
  if (e.details.is_object() && e.details.contains("statement_index"))
    out.details["statement_index"] = e.details["statement_index"];
  return out;
}

void Engine::interrupt(std::string by) {
  {
    std::lock_guard l(cancel_mu_);
    cancel_by_ = std::move(by);
  }
  cancel_.store(1);
}

void Engine::resume() { cancel_.store(0); }

size_t Engine::waiting(std::string_view ns) {
  std::shared_ptr<Db> db;
  {
    std::lock_guard l(mu_);
    auto it = dbs_.find(ns);
    if (it == dbs_.end()) return 0;
    db = it->second;
  }
  std::lock_guard l(db->queue_mu);
  return db->queue.size();
}

// ---- queries --------------------------------------------------------------------------------

Result<QueryResult> Engine::query(const OpContext& ctx, std::string_view ns,
                                  const StatementInput& input) {
  QueryResult out;
  auto ran = with_db(ns, true, [&](Connection& c) -> Status {
    store::ClockScope now(ctx.now_ms);
    size_t failed_at = 0;
    Status st = in_transaction(c, [&]() -> Status {
      ResultBudget budget;
      auto r = run_statements(c, input, true, {}, {}, &failed_at, &budget);
      if (!r) return fail(r.error());
      out = std::move(*r);
      return {};
    });
    if (!st) return st;
    auto size = c.size_bytes();
    out.meta.size_after = size ? *size : 0;
    return {};
  });
  if (!ran) return fail(ran.error());
  return out;
}

Result<Meta> Engine::exec(const OpContext& ctx, std::string_view ns, const StatementInput& input) {
  Meta meta;
  auto ran = with_db(ns, true, [&](Connection& c) -> Status {
    store::ClockScope now(ctx.now_ms);
    size_t failed_at = 0;
    // All or nothing, as D1: a failing statement leaves none of the earlier ones behind
    // (issue 18, item 1); the error still names the failing statement_index.
    Result<QueryResult> r = fail(errors::no_statements());
    Status st = in_transaction(c, [&]() -> Status {
      r = run_statements(c, input, false, {}, {}, &failed_at);
      if (!r) return fail(r.error());
      return {};
    });
    if (!st) {
      Error e = st.error();
      if (!r) {
        e = r.error();
        if (e.code != Code::D1_SQL_ERROR || e.details.value("details", "") !=
                                                "D1_ERROR: No SQL statements detected.")
          e = errors::at_statement(std::move(e), failed_at);
      }
      return fail(std::move(e));
    }
    meta = r->meta;
    auto size = c.size_bytes();
    meta.size_after = size ? *size : 0;
    return {};
  });
  if (!ran) return fail(ran.error());
  return meta;
}

Result<std::vector<QueryResult>> Engine::batch(const OpContext& ctx, std::string_view ns,
                                               const std::vector<StatementInput>& statements) {
  if (statements.empty()) return fail(errors::no_statements());
  std::vector<QueryResult> out;
  auto ran = with_db(ns, true, [&](Connection& c) -> Status {
    store::ClockScope now(ctx.now_ms);
    size_t index = 0;
    ResultBudget budget;  // for the batch as a whole
    Status st = in_transaction(c, [&]() -> Status {
      for (index = 0; index < statements.size(); ++index) {
        auto r = run_statements(c, statements[index], true, {}, {}, nullptr, &budget);
        if (!r) return fail(r.error());
        out.push_back(std::move(*r));
      }
      index = statements.size() - 1;  // a COMMIT failure belongs to the last statement
      return {};
    });
    if (!st) {
      out.clear();
      return fail(errors::at_statement(st.error(), index));
    }
    auto size = c.size_bytes();
    for (auto& r : out) r.meta.size_after = size ? *size : 0;
    return {};
  });
  if (!ran) return fail(ran.error());
  return out;
}

// ---- resources and admin --------------------------------------------------------------------

std::vector<std::string> Engine::namespaces_on_disk() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(paths_.d1_dir(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".sqlite") continue;
    std::string stem = p.stem().string();
    if (core::is_valid_name(stem)) out.push_back(std::move(stem));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Engine::namespaces() {
  std::lock_guard l(mu_);
  return namespaces_on_disk();
}

Status Engine::list_resources(const OpContext& ctx, const ResourceFilter& filter,
                              const std::function<void(Resource&&)>& fn) {
  if (!filter.type.empty() && filter.type != "d1") return {};
  std::vector<std::string> names;
  if (!filter.ns.empty()) {
    if (!core::is_valid_name(filter.ns)) return {};
    names.push_back(filter.ns);
  } else {
    names = namespaces();
  }
  for (const auto& ns : names) {
    std::vector<std::string> tables;
    auto ran = with_db(ns, false, [&](Connection& c) -> Status {
      store::ClockScope now(ctx.now_ms);
      auto rows = select(c, kUserTables, {});
      if (!rows) return fail(rows.error());
      for (auto& row : *rows) tables.push_back(text_of(row[0]));
      return {};
    });
    if (!ran) return fail(ran.error());
    if (tables.empty()) continue;
    int64_t created = 0, updated = 0;
    file_times(paths_.d1_db(ns), created, updated);
    for (auto& t : tables) {
      if (!t.starts_with(filter.key_prefix)) continue;
      Resource r;
      r.type = "d1";
      r.ns = ns;
      r.key = std::move(t);
      r.created_ms = created;
      r.updated_ms = updated;
      fn(std::move(r));
    }
  }
  return {};
}

Result<size_t> Engine::clear(std::string_view ns) {
  if (!ns.empty())
    if (auto err = core::validate_namespace(ns)) return fail(*err);
  std::lock_guard l(mu_);
  std::set<std::string, std::less<>> targets;
  if (ns.empty()) {
    for (auto& n : namespaces_on_disk()) targets.insert(n);
    for (auto& [n, db] : dbs_) targets.insert(n);
  } else {
    targets.insert(std::string(ns));
  }
  size_t removed = 0;
  for (const auto& n : targets) {
    if (auto it = dbs_.find(n); it != dbs_.end()) {
      {
        std::lock_guard dl(it->second->mu);  // waits for an in-flight statement
        it->second->conn.reset();
      }
      dbs_.erase(it);
    }
    if (remove_db_files(paths_.d1_db(n))) ++removed;
  }
  return removed;
}

Status Engine::snapshot_to(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Code::STORE_IO, "cannot create " + dir.string() + ": " + ec.message());
  for (const auto& ns : namespaces()) {
    auto ran = with_db(ns, false, [&](Connection& c) -> Status {
      if (auto st = c.backup_to(dir / (ns + ".sqlite")); !st) return fail(errors::sql(st.error()));
      return {};
    });
    if (!ran) return fail(ran.error());
  }
  return {};
}

Status Engine::stage_restore(const fs::path& dir) {
  const fs::path staged = paths_.d1_staged_dir();
  std::error_code ec;
  fs::remove_all(staged, ec);
  fs::create_directories(staged, ec);
  if (ec) return fail(Code::STORE_IO, "cannot create " + staged.string() + ": " + ec.message());
  if (!fs::is_directory(dir, ec)) return {};  // a snapshot without D1 data: no databases
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".sqlite" || !core::is_valid_name(p.stem().string())) continue;
    std::error_code cec;
    fs::copy_file(p, staged / p.filename(), fs::copy_options::overwrite_existing, cec);
    if (cec) return fail(Code::STORE_IO, "cannot stage " + p.string() + ": " + cec.message());
  }
  if (ec) return fail(Code::STORE_IO, "cannot read " + dir.string() + ": " + ec.message());
  return {};
}

Status Engine::swap_in_staged() {
  std::lock_guard l(mu_);
  close_all_locked();
  return finish_swap(paths_);
}

Status Engine::finish_swap(const store::Paths& paths) {
  const fs::path live = paths.d1_dir(), staged = paths.d1_staged_dir(), replaced = paths.d1_replaced_dir();
  std::error_code ec;
  auto io = [&](const std::string& what) { return fail(Code::STORE_IO, what + ": " + ec.message()); };
  if (fs::exists(staged, ec)) {
    if (fs::exists(live, ec)) {
      fs::remove_all(replaced, ec);  // a replaced dir from an earlier swap, if any
      fs::rename(live, replaced, ec);
      if (ec) return io("cannot move " + live.string() + " aside");
    }
    fs::rename(staged, live, ec);  // the switch: one rename
    if (ec) return io("cannot move " + staged.string() + " into place");
  }
  fs::remove_all(replaced, ec);
  if (ec) return io("cannot remove " + replaced.string());
  return {};
}

void Engine::discard_staged(const store::Paths& paths) {
  std::error_code ec;
  fs::remove_all(paths.d1_staged_dir(), ec);
}

Result<nlohmann::json> Engine::tables(std::string_view ns) {
  nlohmann::json out = nlohmann::json::array();
  auto ran = with_db(ns, false, [&](Connection& c) -> Status {
    store::ClockScope now(clock_.now_ms());
    auto rows = select(c, kUserTables, {});
    if (!rows) return fail(rows.error());
    for (auto& row : *rows) {
      std::string name = text_of(row[0]);
      auto cols = select(c, "PRAGMA table_info(" + quote_ident(name) + ")", {});
      if (!cols) return fail(cols.error());
      nlohmann::json columns = nlohmann::json::array();
      for (auto& col : *cols) {
        // cid, name, type, notnull, dflt_value, pk
        columns.push_back({{"name", to_json(col[1])},
                           {"type", to_json(col[2])},
                           {"notnull", to_json(col[3]) == 1},
                           {"default", to_json(col[4])},
                           {"pk", to_json(col[5])}});
      }
      out.push_back({{"name", name}, {"sql", to_json(row[1])}, {"columns", std::move(columns)}});
    }
    return {};
  });
  if (!ran) return fail(ran.error());
  return out;
}

Result<QueryResult> Engine::read(std::string_view ns, StatementInput input) {
  input.read_only = true;
  input.inspect = true;
  QueryResult out;
  auto run = [&](Connection& c) -> Status {
    store::ClockScope now(clock_.now_ms());
    size_t failed_at = 0;
    ResultBudget budget;
    auto r = run_statements(c, input, true, {}, {}, &failed_at, &budget);
    if (!r) return fail(r.error());
    out = std::move(*r);
    return {};
  };
  auto ran = with_db(ns, false, run);
  if (!ran) return fail(ran.error());
  if (*ran) return out;
  // No database yet: the statement meets an empty in-memory one, so `SELECT 1` works and a
  // table reference fails the way it would against a fresh namespace.
  auto mem = open_d1(":memory:", false);
  if (!mem) return fail(mem.error());
  ERA_TRY(run(**mem));
  return out;
}

Result<nlohmann::json> Engine::rows(std::string_view ns, std::string_view table, int64_t limit,
                                    int64_t offset) {
  if (limit < 0 || offset < 0)
    return fail(Code::BAD_REQUEST, "limit and offset must not be negative");
  nlohmann::json out;
  auto ran = with_db(ns, false, [&](Connection& c) -> Status {
    store::ClockScope now(clock_.now_ms());
    auto found = select(c, "SELECT 1 FROM sqlite_schema WHERE type IN ('table','view') AND name = ?1",
                        {Value(std::string(table))});
    if (!found) return fail(found.error());
    if (found->empty() || reserved_name(table))
      return fail(errors::with_text(Code::D1_SQL_ERROR, "D1_ERROR: no such table: " +
                                                            std::string(table) + ": SQLITE_ERROR"));
    std::string q = quote_ident(table);
    auto total = select(c, "SELECT count(*) FROM " + q, {});
    if (!total) return fail(total.error());
    std::vector<std::string> names;
    auto rows = select(c, "SELECT * FROM " + q + " LIMIT ?1 OFFSET ?2", {Value(limit), Value(offset)},
                       &names);
    if (!rows) return fail(rows.error());
    nlohmann::json list = nlohmann::json::array();
    for (auto& row : *rows) {
      nlohmann::json obj = nlohmann::json::object();
      for (size_t i = 0; i < names.size(); ++i) obj[names[i]] = to_json(row[i]);
      list.push_back(std::move(obj));
    }
    out = {{"table", std::string(table)},
           {"columns", names},
           {"rows", std::move(list)},
           {"total", to_json((*total)[0][0])},
           {"limit", limit},
           {"offset", offset}};
    return {};
  });
  if (!ran) return fail(ran.error());
  if (!*ran)
    return fail(errors::with_text(Code::D1_SQL_ERROR,
                                  "D1_ERROR: no such table: " + std::string(table) + ": SQLITE_ERROR"));
  return out;
}

}  // namespace era::d1
