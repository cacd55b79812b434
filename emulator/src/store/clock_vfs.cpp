#include "store/clock_vfs.h"

#include <sqlite3.h>

#include <mutex>

namespace era::store {
namespace {

thread_local bool t_active = false;
thread_local int64_t t_now_ms = 0;

// Julian day number of the UNIX epoch, in milliseconds (what xCurrentTimeInt64 reports).
constexpr sqlite3_int64 kUnixEpochJdMs = 210866760000000LL;

sqlite3_vfs g_vfs;
sqlite3_vfs* g_base = nullptr;

int current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  if (t_active) {
    *out = kUnixEpochJdMs + t_now_ms;
    return SQLITE_OK;
  }
  if (g_base->iVersion >= 2 && g_base->xCurrentTimeInt64)
    return g_base->xCurrentTimeInt64(g_base, out);
  double jd = 0;
  int rc = g_base->xCurrentTime(g_base, &jd);
  *out = static_cast<sqlite3_int64>(jd * 86400000.0);
  return rc;
}

int current_time(sqlite3_vfs* vfs, double* out) {
  sqlite3_int64 ms = 0;
  int rc = current_time_int64(vfs, &ms);
  *out = static_cast<double>(ms) / 86400000.0;
  return rc;
}

}  // namespace

const char* clock_vfs_name() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_initialize();
    g_base = sqlite3_vfs_find(nullptr);
    // A copy of the default VFS keeps its file/shm methods and pAppData (the unix VFS finds
    // its io-methods through it); only the time calls differ.
    g_vfs = *g_base;
    g_vfs.pNext = nullptr;
    g_vfs.zName = "era-clock";
    g_vfs.xCurrentTime = current_time;
    if (g_vfs.iVersion >= 2) g_vfs.xCurrentTimeInt64 = current_time_int64;
    sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0);
  });
  return "era-clock";
}

ClockScope::ClockScope(int64_t now_ms) : had_prev_(t_active), prev_ms_(t_now_ms) {
  t_active = true;
  t_now_ms = now_ms;
}

ClockScope::~ClockScope() {
  t_active = had_prev_;
  t_now_ms = prev_ms_;
}

}  // namespace era::store
