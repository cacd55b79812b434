#include "store/lmdb.h"

#include <lmdb.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/crypto.h"

namespace era::store {
namespace {

constexpr const char* kTableNames[] = {"kv", "r2", "sys", "uploads"};

Error lmdb_error(int rc, std::string_view what) {
  Code code = Code::STORE_IO;
  return Error(code, std::string("LMDB ") + std::string(what) + ": " + mdb_strerror(rc));
}

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// Record layout: [u8 flag][flag==1: u32 little-endian length + full key][payload]
struct Record {
  std::string_view full_key;  // empty when the stored key is the full key
  std::string_view payload;
};

std::optional<Record> decode_record(std::string_view rec) {
  if (rec.empty()) return std::nullopt;
  if (rec[0] == 0) return Record{{}, rec.substr(1)};
  if (rec.size() < 5) return std::nullopt;
  uint32_t n;
  std::memcpy(&n, rec.data() + 1, 4);
  if (rec.size() < 5 + size_t(n)) return std::nullopt;
  return Record{rec.substr(5, n), rec.substr(5 + n)};
}

void encode_record(std::string& out, std::string_view full_key, bool shortened,
                   std::string_view payload) {
  out.clear();
  if (!shortened) {
    out.reserve(1 + payload.size());
    out.push_back('\0');
  } else {
    out.reserve(5 + full_key.size() + payload.size());
    out.push_back('\1');
    uint32_t n = static_cast<uint32_t>(full_key.size());
    out.append(reinterpret_cast<const char*>(&n), 4);
    out.append(full_key);
  }
  out.append(payload);
}

// RAII cursor.
struct Cursor {
  MDB_cursor* c = nullptr;
  ~Cursor() {
    if (c) mdb_cursor_close(c);
  }
};

}  // namespace

std::string encode_key(std::string_view full) {
  if (full.size() <= kInlineKeyMax) return std::string(full);
  std::string out(full.substr(0, kInlineKeyMax));
  out += core::sha256(full);
  return out;
}

// ---------------------------------------------------------------- Lmdb

Result<std::unique_ptr<Lmdb>> Lmdb::open(const std::filesystem::path& dir, Options opts) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Code::STORE_IO, "cannot create " + dir.string() + ": " + ec.message());
  std::unique_ptr<Lmdb> env(new Lmdb());
  int rc = mdb_env_create(&env->env_);
  if (rc) return fail(lmdb_error(rc, "env_create"));
  mdb_env_set_mapsize(env->env_, opts.map_size);
  mdb_env_set_maxdbs(env->env_, 8);
  mdb_env_set_maxreaders(env->env_, opts.max_readers);
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (!opts.durable) flags |= MDB_NOSYNC;
  if (opts.writemap) flags |= MDB_WRITEMAP;
  rc = mdb_env_open(env->env_, dir.c_str(), flags, 0644);
  if (rc) return fail(lmdb_error(rc, "open " + dir.string()));
  int dead = 0;
  mdb_reader_check(env->env_, &dead);  // clear slots of crashed processes

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env->env_, nullptr, 0, &txn);
  if (rc) return fail(lmdb_error(rc, "txn_begin"));
  for (int i = 0; i < static_cast<int>(Table::kCount); ++i) {
    MDB_dbi dbi;
    rc = mdb_dbi_open(txn, kTableNames[i], MDB_CREATE, &dbi);
    if (rc) {
      mdb_txn_abort(txn);
      return fail(lmdb_error(rc, std::string("dbi_open ") + kTableNames[i]));
    }
    env->dbis_[i] = dbi;
  }
  rc = mdb_txn_commit(txn);
  if (rc) return fail(lmdb_error(rc, "commit"));
  return env;
}

// The writers waiting for the next group commit, and whether one of them is committing.
struct Lmdb::Group {
  struct Pending {
    const WriteFn* fn;
    Status st;
    bool done = false;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Pending*> queue;
  bool committing = false;
};

Lmdb::Lmdb() : group_(std::make_unique<Group>()) {}

Lmdb::~Lmdb() {
  if (env_) mdb_env_close(env_);
}

Status Lmdb::write(const WriteFn& fn) {
  Group& g = *group_;
  Group::Pending me{&fn, {}};
  std::unique_lock lock(g.mu);
  g.queue.push_back(&me);
  while (!me.done && g.committing) g.cv.wait(lock);
  if (me.done) return me.st;

  // This thread commits everything queued so far (its own write included).
  g.committing = true;
  std::vector<Group::Pending*> batch;
  batch.swap(g.queue);
  lock.unlock();

  auto alone = [&](Group::Pending& p) {
    auto txn = begin_write();
    if (!txn) {
      p.st = fail(txn.error());
      return;
    }
    p.st = (*p.fn)(*txn);
    if (p.st) p.st = txn->commit();
  };
  if (batch.size() == 1) {
    alone(*batch.front());
  } else {
    bool ok = false;
    if (auto txn = begin_write()) {
      ok = true;
      for (auto* p : batch) {
        p->st = (*p->fn)(*txn);
        if (!p->st) {
          ok = false;
          break;
        }
      }
      if (ok) {
        Status st = txn->commit();
        ok = st.has_value();
      }
    }
    if (!ok) {
      for (auto* p : batch) alone(*p);
    }
  }

  lock.lock();
  for (auto* p : batch) p->done = true;
  g.committing = false;
  lock.unlock();
  g.cv.notify_all();
  return me.st;
}

Result<Txn> Lmdb::begin_read() {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc) return fail(lmdb_error(rc, "begin read"));
  return Txn(this, txn, false);
}

Result<Txn> Lmdb::begin_write() {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc) return fail(lmdb_error(rc, "begin write"));
  return Txn(this, txn, true);
}

uint64_t Lmdb::used_bytes() const {
  MDB_envinfo info;
  MDB_stat st;
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &st);
  return uint64_t(info.me_last_pgno + 1) * st.ms_psize;
}

Status Lmdb::copy_to(const std::filesystem::path& dir) {
  int rc = mdb_env_copy2(env_, dir.c_str(), MDB_CP_COMPACT);
  if (rc) return fail(lmdb_error(rc, "copy to " + dir.string()));
  return {};
}

Status Lmdb::restore_from(const std::filesystem::path& dir, std::initializer_list<Table> tables,
                          const std::function<Status(Txn&)>& also) {
  // The copy is opened read-only without a lock file: nothing else ever opens it.
  MDB_env* src = nullptr;
  int rc = mdb_env_create(&src);
  if (rc) return fail(lmdb_error(rc, "env_create"));
  struct EnvCloser {
    MDB_env* e;
    ~EnvCloser() { mdb_env_close(e); }
  } closer{src};
  mdb_env_set_maxdbs(src, 8);
  mdb_env_set_mapsize(src, size_t(1) << 36);
  rc = mdb_env_open(src, dir.c_str(), MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0644);
  if (rc) return fail(lmdb_error(rc, "open snapshot " + dir.string()));
  MDB_txn* rtxn = nullptr;
  rc = mdb_txn_begin(src, nullptr, MDB_RDONLY, &rtxn);
  if (rc) return fail(lmdb_error(rc, "begin snapshot read"));
  struct TxnAborter {
    MDB_txn* t;
    ~TxnAborter() { mdb_txn_abort(t); }
  } rabort{rtxn};

  auto w = begin_write();
  if (!w) return fail(w.error());
  for (Table t : tables) {
    MDB_dbi dst = dbis_[static_cast<int>(t)];
    rc = mdb_drop(w->txn_, dst, 0);
    if (rc) return fail(lmdb_error(rc, "drop"));
    MDB_dbi from;
    rc = mdb_dbi_open(rtxn, kTableNames[static_cast<int>(t)], 0, &from);
    if (rc == MDB_NOTFOUND) continue;
    if (rc) return fail(lmdb_error(rc, "open snapshot table"));
    Cursor cur;
    rc = mdb_cursor_open(rtxn, from, &cur.c);
    if (rc) return fail(lmdb_error(rc, "cursor"));
    MDB_val k, v;
    rc = mdb_cursor_get(cur.c, &k, &v, MDB_FIRST);
    while (rc == 0) {
      // Same comparator, keys arrive sorted: append is the fast path.
      int prc = mdb_put(w->txn_, dst, &k, &v, MDB_APPEND);
      if (prc) return fail(lmdb_error(prc, "restore put"));
      rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) return fail(lmdb_error(rc, "cursor_get"));
  }
  if (also) ERA_TRY(also(*w));
  return w->commit();
}

// ---------------------------------------------------------------- Txn

Txn::Txn(Txn&& o) noexcept
    : env_(o.env_), txn_(o.txn_), writable_(o.writable_), scratch_(std::move(o.scratch_)) {
  o.txn_ = nullptr;
}

Txn::~Txn() {
  if (txn_) mdb_txn_abort(txn_);
}

Status Txn::commit() {
  MDB_txn* t = txn_;
  txn_ = nullptr;
  if (!t) return fail(Code::INTERNAL, "commit of a finished transaction");
  int rc = mdb_txn_commit(t);
  if (rc) return fail(lmdb_error(rc, "commit"));
  return {};
}

Result<std::optional<std::string_view>> Txn::get(Table t, std::string_view key) {
  std::string enc = encode_key(key);
  MDB_val k = val(enc), v;
  int rc = mdb_get(txn_, env_->dbis_[static_cast<int>(t)], &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>{};
  if (rc) return fail(lmdb_error(rc, "get"));
  auto rec = decode_record(view(v));
  if (!rec) return fail(Code::STORE_CORRUPT, "malformed record");
  if (!rec->full_key.empty() && rec->full_key != key) {
    return std::optional<std::string_view>{};  // a hash collision: not our key
  }
  return std::optional<std::string_view>(rec->payload);
}

Status Txn::put(Table t, std::string_view key, std::string_view value) {
  std::string enc = encode_key(key);
  encode_record(scratch_, key, key.size() > kInlineKeyMax, value);
  MDB_val k = val(enc), v = val(scratch_);
  int rc = mdb_put(txn_, env_->dbis_[static_cast<int>(t)], &k, &v, 0);
  if (rc) return fail(lmdb_error(rc, "put"));
  return {};
}

Result<bool> Txn::del(Table t, std::string_view key) {
  std::string enc = encode_key(key);
  MDB_val k = val(enc);
  int rc = mdb_del(txn_, env_->dbis_[static_cast<int>(t)], &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc) return fail(lmdb_error(rc, "del"));
  return true;
}

Status Txn::scan(Table t, std::string_view prefix, std::string_view after, const Visitor& fn) {
  Cursor cur;
  int rc = mdb_cursor_open(txn_, env_->dbis_[static_cast<int>(t)], &cur.c);
  if (rc) return fail(lmdb_error(rc, "cursor"));

  // Position at the first stored key that could come after `after` (or at the prefix).
  std::string start(prefix.substr(0, std::min(prefix.size(), kInlineKeyMax)));
  if (!after.empty()) {
    std::string_view a = after.substr(0, std::min(after.size(), kInlineKeyMax));
    if (a > start) start = std::string(a);
  }
  MDB_val k = val(start), v;
  // LMDB rejects a zero-length key: an empty start means "from the first key".
  rc = mdb_cursor_get(cur.c, &k, &v, start.empty() ? MDB_FIRST : MDB_SET_RANGE);

  struct Item {
    std::string key;
    std::string_view value;
  };
  std::vector<Item> run;  // shortened keys sharing one inline prefix
  while (rc == 0) {
    std::string_view stored = view(k);
    auto rec = decode_record(view(v));
    if (!rec) return fail(Code::STORE_CORRUPT, "malformed record");
    std::string_view full = rec->full_key.empty() ? stored : rec->full_key;
    // Stop once past the prefix: compare on the stored form, which preserves prefix order.
    std::string_view cmp_prefix = prefix.substr(0, std::min(prefix.size(), kInlineKeyMax));
    if (stored.substr(0, cmp_prefix.size()) != cmp_prefix) break;

    if (rec->full_key.empty()) {
      if (full.starts_with(prefix) && (after.empty() || full > after)) {
        if (!fn(full, rec->payload)) return {};
      }
      rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT);
      continue;
    }
    // A run of shortened keys: collect all with this inline prefix, sort by full key.
    std::string inline_prefix(stored.substr(0, kInlineKeyMax));
    run.clear();
    while (rc == 0) {
      std::string_view s = view(k);
      if (s.size() <= kInlineKeyMax || s.substr(0, kInlineKeyMax) != inline_prefix) break;
      auto r = decode_record(view(v));
      if (!r || r->full_key.empty()) return fail(Code::STORE_CORRUPT, "malformed long record");
      run.push_back({std::string(r->full_key), r->payload});
      rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT);
    }
    std::sort(run.begin(), run.end(), [](const Item& a, const Item& b) { return a.key < b.key; });
    for (const Item& it : run) {
      if (!std::string_view(it.key).starts_with(prefix)) continue;
      if (!after.empty() && std::string_view(it.key) <= after) continue;
      if (!fn(it.key, it.value)) return {};
    }
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return fail(lmdb_error(rc, "cursor_get"));
  return {};
}

Result<size_t> Txn::erase_prefix(Table t, std::string_view prefix) {
  MDB_dbi dbi = env_->dbis_[static_cast<int>(t)];
  if (prefix.empty()) {
    MDB_stat st;
    mdb_stat(txn_, dbi, &st);
    int rc = mdb_drop(txn_, dbi, 0);
    if (rc) return fail(lmdb_error(rc, "drop"));
    return size_t(st.ms_entries);
  }
  // Collect first, then delete by key: simpler than reasoning about cursor state after a delete.
  std::vector<std::string> doomed;
  {
    Cursor cur;
    int rc = mdb_cursor_open(txn_, dbi, &cur.c);
    if (rc) return fail(lmdb_error(rc, "cursor"));
    std::string start(prefix.substr(0, std::min(prefix.size(), kInlineKeyMax)));
    MDB_val k = val(start), v;
    rc = mdb_cursor_get(cur.c, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
      std::string_view stored = view(k);
      if (!stored.starts_with(start)) break;
      auto rec = decode_record(view(v));
      std::string_view full = rec && !rec->full_key.empty() ? rec->full_key : stored;
      if (full.starts_with(prefix)) doomed.emplace_back(stored);
      rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return fail(lmdb_error(rc, "cursor_get"));
  }
  for (const std::string& key : doomed) {
    MDB_val k = val(key);
    int rc = mdb_del(txn_, dbi, &k, nullptr);
    if (rc && rc != MDB_NOTFOUND) return fail(lmdb_error(rc, "del"));
  }
  size_t n = doomed.size();
  return n;
}

}  // namespace era::store
