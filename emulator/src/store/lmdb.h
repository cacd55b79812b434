#pragma once
// RAII over one LMDB environment with a few named tables. Engines see byte-string keys of any
// length (KV keys reach 512 bytes, R2 keys 1,024) even though LMDB 0.9 caps keys at 511 bytes:
//
//   stored key = full key                         if it is at most kInlineKeyMax bytes
//              = full key[0, kInlineKeyMax) + sha256(full key)   otherwise
//
// and a record stores the full key whenever it was shortened. Because every shortened key
// starts with its own first kInlineKeyMax bytes, keys sharing that prefix are contiguous in
// LMDB order; scan() gathers such a run, sorts it by full key, and so yields exact byte order.
//
// Durability: a committed write transaction is in the OS page cache, so it survives kill -9 of
// the process; `durable=true` adds fsync at commit for power-loss safety.
// Threads: any number of read transactions, one write transaction at a time (LMDB's own lock);
// a transaction must be used by the thread that began it.
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

struct MDB_env;
struct MDB_txn;

namespace era::store {

enum class Table : int { kv = 0, r2 = 1, sys = 2, uploads = 3, kCount = 4 };

inline constexpr size_t kInlineKeyMax = 479;  // + 32-byte hash = 511

class Lmdb;

class Txn {
 public:
  Txn(Txn&& o) noexcept;
  Txn& operator=(Txn&&) = delete;
  ~Txn();  // aborts if not committed

  // The value for an exact key, or nullopt. The view is valid until the transaction ends.
  Result<std::optional<std::string_view>> get(Table t, std::string_view key);
  Status put(Table t, std::string_view key, std::string_view value);
  // True if something was deleted.
  Result<bool> del(Table t, std::string_view key);

  // Visits keys starting with `prefix` in exact byte order, beginning after `after` (or at the
  // first key with the prefix when `after` is empty). Stop by returning false from `fn`.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  Status scan(Table t, std::string_view prefix, std::string_view after, const Visitor& fn);

  // Deletes every key with `prefix` (all keys when empty). Returns how many were deleted.
  Result<size_t> erase_prefix(Table t, std::string_view prefix);

  Status commit();
  bool writable() const { return writable_; }

 private:
  friend class Lmdb;
  Txn(Lmdb* env, MDB_txn* txn, bool writable) : env_(env), txn_(txn), writable_(writable) {}
  Lmdb* env_;
  MDB_txn* txn_;
  bool writable_;
  std::string scratch_;  // encoded record buffer
};

class Lmdb {
 public:
  struct Options {
    bool durable = false;
    // Write pages straight into the map instead of pwrite-ing copies (the file is then sized
    // to map_size, sparse): for throw-away data dirs on tmpfs.
    bool writemap = false;
    size_t map_size = size_t(1) << 36;  // 64 GiB of address space; the file grows as used
    unsigned max_readers = 1024;
  };
  static Result<std::unique_ptr<Lmdb>> open(const std::filesystem::path& dir, Options opts);
  ~Lmdb();

  Result<Txn> begin_read();
  Result<Txn> begin_write();

  // Group commit. Runs fn in a write transaction shared with the write()s other threads make
  // meanwhile, and returns once that transaction has committed — so a write is acknowledged
  // only when it is in the file, but N concurrent writers pay for one commit instead of N.
  // A lone writer waits for nobody: the first caller commits at once, and whoever arrives while
  // it does forms the next batch. When fn fails none of its changes are kept (a batch with a
  // failed member is rolled back and its members rerun one transaction each), so fn may run
  // more than once and must not act outside the transaction.
  using WriteFn = std::function<Status(Txn&)>;
  Status write(const WriteFn& fn);

  // Bytes of the data file actually used (for stats).
  uint64_t used_bytes() const;

  // Snapshots. copy_to writes a consistent, compacted copy of the whole environment into an
  // existing empty directory (mdb_env_copy2; readers and writers may continue meanwhile).
  Status copy_to(const std::filesystem::path& dir);
  // Replaces every row of `tables` with the rows of the copy in `dir`, inside one write
  // transaction: readers see the old state or the new one, never a mix. A table missing from
  // the copy becomes empty.
  // `also` runs in the same write transaction, before it commits (a restore records its intent
  // there, so the tables and the intent become durable together).
  Status restore_from(const std::filesystem::path& dir, std::initializer_list<Table> tables,
                      const std::function<Status(Txn&)>& also = {});

 private:
  friend class Txn;
  struct Group;
  Lmdb();
  MDB_env* env_ = nullptr;
  std::unique_ptr<Group> group_;
  unsigned dbis_[static_cast<int>(Table::kCount)] = {};
};

// Encodes/decodes the stored key form (exposed for tests).
std::string encode_key(std::string_view full_key);

}  // namespace era::store
