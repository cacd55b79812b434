// Reset and snapshots. Seed and inspect live in seed.cpp and inspect.cpp.
#include "admin/admin.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>

#include "core/clock.h"
#include "core/events.h"
#include "core/faults.h"
#include "core/names.h"
#include "d1/engine.h"
#include "kv/engine.h"
#include "r2/engine.h"
#include "store/blob_store.h"
#include "store/lmdb.h"
#include "store/paths.h"

namespace era::admin {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

Error io_error(const std::string& what, const std::error_code& ec) {
  return Error(Code::STORE_IO, what + ": " + ec.message());
}

Status check_snapshot_name(std::string_view name) {
  if (!core::is_valid_name(name))
    return fail(Error(Code::INVALID_SNAPSHOT, "invalid snapshot name \"" + std::string(name.substr(0, 80)) +
                                                  "\": use 1-63 characters of [A-Za-z0-9_-]")
                    .with_details({{"field", "name"}}));
  return {};
}

uint64_t dir_bytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) total += it->file_size(e2);
  }
  return total;
}

}  // namespace

// ------------------------------------------------------------------- restore, crash-safely

namespace {

constexpr std::string_view kRestorePending = "restore:pending";

Status clear_restore_intent(store::Lmdb& lmdb) {
  auto t = lmdb.begin_write();
  if (!t) return fail(t.error());
  auto gone = t->del(store::Table::sys, kRestorePending);
  if (!gone) return fail(gone.error());
  return t->commit();
}

}  // namespace

Result<bool> finish_interrupted_restore(store::Lmdb& lmdb, const store::Paths& paths) {
  bool pending = false;
  {
    auto t = lmdb.begin_read();
    if (!t) return fail(t.error());
    auto v = t->get(store::Table::sys, kRestorePending);
    if (!v) return fail(v.error());
    pending = v->has_value();
  }
  if (!pending) {  // a restore that died before its commit point changed nothing: drop its staging
    d1::Engine::discard_staged(paths);
    return false;
  }
  ERA_TRY(d1::Engine::finish_swap(paths));
  ERA_TRY(clear_restore_intent(lmdb));
  return true;
}

// ------------------------------------------------------------------------ the exclusive lock

Admin::Exclusive::~Exclusive() {
  if (!a_) return;
  a_->lock_.unlock();
  a_->admin_mu_.unlock();
}

Result<Admin::Exclusive> Admin::exclusive(std::string_view what, bool stop_d1) {
  auto busy = [&](std::string why) {
    return fail(Error(Code::STATE_BUSY, std::string(what) + " gave up after " +
                                            std::to_string(exclusive_wait_.count()) + " ms: " + why +
                                            "; nothing was changed")
                    .with_details({{"waited_ms", exclusive_wait_.count()}}));
  };
  auto until = std::chrono::steady_clock::now() + exclusive_wait_;
  if (!admin_mu_.try_lock_until(until)) return busy("another reset, restore, seed or snapshot was still running");
  // Requests already in a handler hold the state lock shared; a D1 statement among them could
  // run for the whole query timeout, so those are stopped (they answer D1_INTERRUPTED).
  if (stop_d1) d_.d1.interrupt("a " + std::string(what) + " of the emulator");
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
  bool got = lock_.try_lock_for(std::max(left, std::chrono::milliseconds(0)));
  if (stop_d1) d_.d1.resume();  // nothing new starts while the lock is held (or once it gave up)
  if (!got) {
    admin_mu_.unlock();
    return busy("requests still running held the state (a slow upload?)");
  }
  return Exclusive(*this);
}

// ------------------------------------------------------------------------------------ reset

Result<ResetReport> Admin::reset(const ResetRequest& req) {
  if (!req.service.empty() && req.service != "kv" && req.service != "r2" && req.service != "d1")
    return fail(Error(Code::INVALID_BODY, "\"service\" must be kv, r2 or d1 (or absent for all)")
                    .with_details({{"field", "service"}}));
  if (!req.ns.empty())
    if (auto err = core::validate_namespace(req.ns)) return fail(*err);
  auto t0 = Clock::now();
  auto lock = exclusive("reset", true);
  if (!lock) return fail(lock.error());
  ResetReport rep;
  bool all = req.service.empty();
  if (all || req.service == "kv") {
    auto n = d_.kv.clear(req.ns);
    if (!n) return fail(n.error());
    rep.kv = *n;
  }
  if (all || req.service == "r2") {
    auto n = d_.r2.clear(req.ns);
    if (!n) return fail(n.error());
    rep.r2 = *n;
  }
  if (all || req.service == "d1") {
    auto n = d_.d1.clear(req.ns);
    if (!n) return fail(n.error());
    rep.d1 = *n;
  }
  for (auto& hook : hooks_) ERA_TRY(hook(req.service, req.ns));
  if (!req.keep_faults) {
    d_.faults.clear();
    rep.faults_cleared = true;
  }
  if (!req.keep_clock) {
    d_.clock.reset();
    rep.clock_reset = true;
  }
  if (all && req.ns.empty() && !req.keep_events) {
    d_.events.clear();
    rep.events_cleared = true;
  }
  rep.duration_ms = ms_since(t0);
  return rep;
}

// -------------------------------------------------------------------------------- snapshots

Status Admin::snapshot_locked(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "lmdb", ec);
  if (!ec) fs::create_directories(dir / "blobs", ec);
  if (!ec) fs::create_directories(dir / "d1", ec);
  if (ec) return fail(io_error("cannot create " + dir.string(), ec));
  ERA_TRY(d_.lmdb.copy_to(dir / "lmdb"));
  // Bodies are immutable files named by id: a hard link shares them at no copy cost. Linking
  // every blob (not only the referenced ones) keeps this independent of the R2 record format;
  // restore sweeps whatever the restored records do not point at.
  ERA_TRY(d_.blobs.for_each([&](const std::string& id) { return d_.blobs.link_to(id, dir / "blobs" / id); }));
  return d_.d1.snapshot_to(dir / "d1");
}

Result<SnapshotInfo> Admin::save_snapshot(std::string_view name) {
  ERA_TRY(check_snapshot_name(name));
  auto t0 = Clock::now();
  const fs::path final_dir = d_.paths.snapshot(name);
  // Hidden names ("." is not a valid snapshot name): built with append, which also keeps
  // GCC 12's -Wstringop-overflow false positive on operator+(const char*, string&&) away.
  std::string hidden(1, '.');
  hidden.append(name);
  const fs::path tmp = d_.paths.snapshot(std::string(hidden).append(".tmp"));
  const fs::path old = d_.paths.snapshot(std::string(hidden).append(".old"));
  // Held to the end: a concurrent save of the same name must not share the temp directory.
  auto lock = exclusive("snapshot", false);
  if (!lock) return fail(lock.error());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::remove_all(old, ec);
  SnapshotInfo info;
  info.name = std::string(name);
  info.created_ms = d_.clock.now_ms();
  if (Status st = snapshot_locked(tmp); !st) {
    fs::remove_all(tmp, ec);
    return fail(st.error());
  }
  {
    std::ofstream meta(tmp / "snapshot.json");
    meta << nlohmann::json{{"name", info.name}, {"created_ms", info.created_ms}}.dump() << "\n";
    if (!meta) {
      fs::remove_all(tmp, ec);
      return fail(Code::STORE_IO, "cannot write " + (tmp / "snapshot.json").string());
    }
  }
  // Swap into place: the old snapshot of this name survives until the new one is complete.
  ec.clear();
  if (fs::exists(final_dir, ec)) fs::rename(final_dir, old, ec);
  if (!ec) fs::rename(tmp, final_dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    return fail(io_error("cannot install snapshot " + info.name, ec));
  }
  fs::remove_all(old, ec);
  info.bytes = dir_bytes(final_dir);
  info.duration_ms = ms_since(t0);
  return info;
}

Result<int64_t> Admin::export_data_dir(const fs::path& dir) {
  std::error_code ec;
  const fs::path marker = "era-emu-export.json";
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !fs::exists(dir / marker, ec))
    return fail(Code::BAD_REQUEST, dir.string() + " exists and is not an earlier era-emu export; "
                                   "choose a new directory (nothing was written)");
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) return fail(io_error("cannot create " + parent.string(), ec));
  const fs::path tmp = parent / ("." + dir.filename().string() + ".era-export-tmp");
  fs::remove_all(tmp, ec);
  store::Paths out(tmp);
  {
    auto lock = exclusive("export", false);
    if (!lock) return fail(lock.error());
    fs::create_directories(out.lmdb_dir(), ec);
    if (!ec) fs::create_directories(out.d1_dir(), ec);
    if (ec) return fail(io_error("cannot create " + tmp.string(), ec));
    Status st = d_.lmdb.copy_to(out.lmdb_dir());
    if (st) st = d_.blobs.for_each([&](const std::string& id) -> Status {
      std::error_code e2;
      fs::create_directories(out.blob(id).parent_path(), e2);
      if (e2) return fail(io_error("cannot create " + out.blob(id).parent_path().string(), e2));
      return d_.blobs.copy_to(id, out.blob(id));
    });
    if (st) st = d_.d1.snapshot_to(out.d1_dir());
    if (!st) {
      fs::remove_all(tmp, ec);
      return fail(st.error());
    }
  }
  {
    std::ofstream m(tmp / marker);
    m << nlohmann::json{{"exported_ms", d_.clock.now_ms()}, {"from", d_.paths.root().string()}}.dump() << "\n";
  }
  const fs::path old = parent / ("." + dir.filename().string() + ".era-export-old");
  fs::remove_all(old, ec);
  ec.clear();
  if (fs::exists(dir, ec)) fs::rename(dir, old, ec);
  if (!ec) fs::rename(tmp, dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    return fail(io_error("cannot put the export in place at " + dir.string(), ec));
  }
  fs::remove_all(old, ec);
  return static_cast<int64_t>(dir_bytes(dir));
}

Result<SnapshotInfo> Admin::read_info(std::string_view name) {
  const fs::path dir = d_.paths.snapshot(name);
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || !fs::exists(dir / "snapshot.json", ec))
    return fail(Error(Code::SNAPSHOT_NOT_FOUND, "no snapshot named \"" + std::string(name) + "\"")
                    .with_details({{"name", std::string(name)}}));
  SnapshotInfo info;
  info.name = std::string(name);
  std::ifstream in(dir / "snapshot.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_object() && j.contains("created_ms") && j["created_ms"].is_number_integer())
    info.created_ms = j["created_ms"].get<int64_t>();
  info.bytes = dir_bytes(dir);
  return info;
}

Result<std::vector<SnapshotInfo>> Admin::list_snapshots() {
  std::vector<SnapshotInfo> out;
  std::error_code ec;
  const fs::path root = d_.paths.snapshots_dir();
  if (!fs::exists(root, ec)) return out;
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!core::is_valid_name(name)) continue;  // hidden temp dirs
    auto info = read_info(name);
    if (info) out.push_back(std::move(*info));
  }
  if (ec) return fail(io_error("cannot list " + root.string(), ec));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Status Admin::restore_locked(const fs::path& dir) {
  // 1. Bodies first: link the snapshot's blobs back (ids are unique and bodies immutable, so
  //    an id already present is the same body). Nothing points at them yet.
  std::error_code ec;
  for (auto f = fs::directory_iterator(dir / "blobs", ec); !ec && f != fs::directory_iterator();
       f.increment(ec)) {
    std::string id = f->path().filename().string();
    fs::path dest = d_.paths.blob(id);
    std::error_code e2;
    if (fs::exists(dest, e2)) continue;
    fs::create_directories(dest.parent_path(), e2);
    fs::create_hard_link(f->path(), dest, e2);
    if (e2) return fail(io_error("cannot restore blob " + id, e2));
  }
  if (ec) return fail(io_error("cannot list " + (dir / "blobs").string(), ec));
  // 2. The snapshot's D1 databases, copied beside the live ones (d1.restoring/).
  ERA_TRY(d_.d1.stage_restore(dir / "d1"));
  // 3. The commit point: KV and R2 records (and multipart uploads) and the intent to swap D1,
  //    in one LMDB transaction. A crash before it leaves everything as it was (start-up drops
  //    the staging); a crash after it is rolled forward at start-up (finish_interrupted_restore).
  ERA_TRY(d_.lmdb.restore_from(dir / "lmdb", {store::Table::kv, store::Table::r2, store::Table::uploads},
                               [](store::Txn& t) { return t.put(store::Table::sys, kRestorePending, "d1"); }));
  // Reads the edges cached before the restore describe data that is gone.
  d_.kv.clear_edge_cache();
  // 4. D1: the staged directory takes the live one's place; then the intent is done.
  ERA_TRY(d_.d1.swap_in_staged());
  ERA_TRY(clear_restore_intent(d_.lmdb));
  // 5. Bodies the restored records no longer reference.
  auto swept = d_.r2.sweep_orphans();
  if (!swept) return fail(swept.error());
  return {};
}

Result<SnapshotInfo> Admin::restore_snapshot(std::string_view name) {
  ERA_TRY(check_snapshot_name(name));
  auto t0 = Clock::now();
  auto info = read_info(name);
  if (!info) return fail(info.error());
  {
    auto lock = exclusive("restore", true);
    if (!lock) return fail(lock.error());
    ERA_TRY(restore_locked(d_.paths.snapshot(name)));
  }
  info->duration_ms = ms_since(t0);
  return info;
}

Status Admin::delete_snapshot(std::string_view name) {
  ERA_TRY(check_snapshot_name(name));
  auto lock = exclusive("snapshot delete", false);
  if (!lock) return fail(lock.error());
  auto info = read_info(name);
  if (!info) return fail(info.error());
  std::error_code ec;
  fs::remove_all(d_.paths.snapshot(name), ec);
  if (ec) return fail(io_error("cannot delete snapshot " + std::string(name), ec));
  return {};
}

}  // namespace era::admin
