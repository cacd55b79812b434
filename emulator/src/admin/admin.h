#pragma once
// Whole-emulator operations: reset, snapshots, seed, inspect. No HTTP types: api/control/
// turns requests into these calls and results into JSON.
//
// Consistency: reset, snapshot save/restore and seed take the StateLock exclusively, and every
// guarded storage call holds it shared, so no request sees half of one of these operations and
// all three engines change together. Inspect takes it shared. None of these may be called
// from a thread that already holds the lock (a guarded storage handler).
// They never wait forever: reset, restore and seed first stop running D1 statements (which
// answer D1_INTERRUPTED), and every one gives up after `exclusive_wait` with STATE_BUSY, having
// changed nothing. They run one at a time.
//
// Snapshots live in <data>/snapshots/<name>/:
//   lmdb/       a compacted copy of the LMDB environment (KV, R2 metadata, uploads)
//   blobs/<id>  hard links to the R2 bodies (shared, not copied; bodies are immutable)
//   d1/<ns>.sqlite  a backup of every D1 database
//   snapshot.json  {name, created_ms}
// A snapshot is built in a hidden temporary directory and renamed into place, so a crash
// never leaves a half-written snapshot under its name.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <utility>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/state_lock.h"
#include "core/result.h"

namespace era::core { class Clock; class FaultSet; class EventLog; }
namespace era::store { class Paths; class Lmdb; class BlobStore; }
namespace era::kv { class Engine; }
namespace era::r2 { class Engine; }
namespace era::d1 { class Engine; struct QueryResult; struct StatementInput; }

namespace era::admin {

struct Deps {
  store::Paths& paths;
  store::Lmdb& lmdb;
  store::BlobStore& blobs;
  kv::Engine& kv;
  r2::Engine& r2;
  d1::Engine& d1;
  core::Clock& clock;
  core::FaultSet& faults;
  core::EventLog& events;
};

struct ResetRequest {
  std::string service;  // "" = all, else kv | r2 | d1
  std::string ns;       // "" = every namespace
  bool keep_faults = false;
  bool keep_clock = false;
  bool keep_events = false;  // events are only ever cleared by a full reset
};

struct ResetReport {
  size_t kv = 0, r2 = 0, d1 = 0;  // keys / objects / databases removed
  bool faults_cleared = false, clock_reset = false, events_cleared = false;
  double duration_ms = 0;
};

struct SnapshotInfo {
  std::string name;
  int64_t created_ms = 0;
  uint64_t bytes = 0;
  double duration_ms = 0;  // of the save or restore that produced this
};

// At start-up, before any engine serves: a snapshot restore interrupted by a crash after its
// commit point (KV and R2 already restored) is finished — D1's staged databases are swapped in —
// and one interrupted before it leaves no staging behind. True when a restore was finished.
Result<bool> finish_interrupted_restore(store::Lmdb& lmdb, const store::Paths& paths);

class Admin {
 public:
  // exclusive_wait: how long reset, restore, seed and snapshots wait for running requests.
  explicit Admin(Deps deps, std::chrono::milliseconds exclusive_wait = kDefaultExclusiveWait)
      : d_(deps), exclusive_wait_(exclusive_wait) {}
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  StateLock& lock() { return lock_; }
  static constexpr std::chrono::milliseconds kDefaultExclusiveWait{10'000};

  // Extra state to clear on reset (e.g. registered custom resources). Called under the
  // exclusive lock with the request's service and namespace. Register before serving.
  using ResetHook = std::function<Status(std::string_view service, std::string_view ns)>;
  void add_reset_hook(ResetHook hook) { hooks_.push_back(std::move(hook)); }

  // INVALID_BODY for an unknown service, INVALID_NAMESPACE for a bad namespace.
  Result<ResetReport> reset(const ResetRequest& req);

  // INVALID_SNAPSHOT for a bad name; an existing snapshot of that name is replaced.
  Result<SnapshotInfo> save_snapshot(std::string_view name);
  Result<std::vector<SnapshotInfo>> list_snapshots();
  // SNAPSHOT_NOT_FOUND when missing. Replaces KV, R2 and D1 state together; faults, clock and
  // events are left alone.
  Result<SnapshotInfo> restore_snapshot(std::string_view name);
  Status delete_snapshot(std::string_view name);
  // Writes the current KV, R2 and D1 state to `dir` as a complete data directory (what
  // `era-emu up --data dir` opens): consistent, taken under the exclusive lock. `dir` must not
  // exist, be empty, or hold an earlier export (replaced only once the new one is complete).
  // Returns the bytes written. Faults, clock, events and snapshots are not part of it.
  Result<int64_t> export_data_dir(const std::filesystem::path& dir);

  // Applies a fixture document (schema in docs/control-api.md). Everything is validated before
  // anything is written; a D1 statement that fails while applying rolls the whole document
  // back. INVALID_SEED names the offending path ("kv.app.user:1.expirationTtl").
  // `base_dir` resolves R2 {"file": "..."} entries; without it they are refused.
  Result<nlohmann::json> seed(const nlohmann::json& doc,
                              const std::optional<std::filesystem::path>& base_dir);

  // Authoritative reads: no faults, no propagation, no events (admin/inspect.cpp).
  // Every namespace with data: {kv: [{name, keys, bytes}], r2: [{name, objects, bytes,
  // uploads}], d1: [{name, tables, bytes}]} (the inspector's and scripts' overview).
  Result<nlohmann::json> inspect_summary();
  Result<nlohmann::json> inspect_kv(std::string_view ns);
  // One page of keys in order, as `location` sees them: {keys: [...], cursor?, list_complete}.
  Result<nlohmann::json> inspect_kv_page(std::string_view ns, const std::string& prefix,
                                         const std::string& cursor, int limit, const std::string& location);
  // nullopt when the key is missing or expired (at `location`; "local" is where writes land).
  Result<std::optional<nlohmann::json>> inspect_kv_key(std::string_view ns, std::string_view key,
                                                       const std::string& location = "local");
  // Edits from the inspector: written like a seed (visible everywhere at once, no fault rules,
  // no events), under the shared state lock.
  Status inspect_kv_put(std::string_view ns, std::string_view key, std::string_view value,
                        const std::optional<nlohmann::json>& metadata, int64_t expiration);
  Status inspect_kv_delete(std::string_view ns, std::string_view key);
  Status inspect_r2_delete(std::string_view bucket, std::string_view key);
  Result<nlohmann::json> inspect_r2(std::string_view bucket);
  // One page: {objects, delimitedPrefixes, truncated, cursor?, uploads: [{key, uploadId, initiated}]}.
  Result<nlohmann::json> inspect_r2_page(std::string_view bucket, const std::string& prefix,
                                         const std::string& delimiter, const std::string& cursor, int limit);
  Result<std::optional<nlohmann::json>> inspect_r2_key(std::string_view bucket,
                                                       std::string_view key, bool with_body);
  Result<nlohmann::json> inspect_d1(std::string_view ns);
  Result<nlohmann::json> inspect_d1_table(std::string_view ns, std::string_view table,
                                          int64_t limit, int64_t offset);
  // A read-only query (d1::Engine::read): what test assertions use, so they neither meet the
  // test's own D1 fault rules nor appear in its events.
  Result<d1::QueryResult> inspect_d1_query(std::string_view ns, d1::StatementInput input);

 private:
  // The state lock held exclusively (and the admin mutex), released on destruction.
  class Exclusive {
   public:
    Exclusive(Admin& a) : a_(&a) {}
    Exclusive(Exclusive&& o) noexcept : a_(std::exchange(o.a_, nullptr)) {}
    Exclusive& operator=(Exclusive&&) = delete;
    ~Exclusive();

   private:
    Admin* a_;
  };
  // Takes the state lock exclusively for `what` ("reset"): with stop_d1, running D1 statements
  // are stopped first. STATE_BUSY after exclusive_wait_.
  Result<Exclusive> exclusive(std::string_view what, bool stop_d1);
  Status restore_locked(const std::filesystem::path& dir);
  Status snapshot_locked(const std::filesystem::path& dir);
  Result<SnapshotInfo> read_info(std::string_view name);

  Deps d_;
  std::chrono::milliseconds exclusive_wait_;
  std::timed_mutex admin_mu_;  // one whole-emulator operation at a time
  StateLock lock_;
  std::vector<ResetHook> hooks_;
};

}  // namespace era::admin
