#pragma once
// The "era-clock" SQLite VFS: a shim over the default VFS that changes only xCurrentTime and
// xCurrentTimeInt64, so CURRENT_TIMESTAMP, datetime('now'), date('now'), strftime(..., 'now')
// and julianday('now') report the emulator's virtual time instead of the wall clock.
//
// Several emulators may live in one process (tests), each with its own clock, while SQLite
// hands the VFS no connection. So the time comes from the calling thread: the D1 engine opens a
// ClockScope with the operation's "now" (read once from core::Clock by the guard) around every
// statement it runs; outside any scope the shim falls back to the default VFS's wall time.
// SQLite itself reads 'now' once per statement step run, so a statement sees one instant.
#include <cstdint>

namespace era::store {

// Registers the VFS on first use (thread-safe, never as the default) and returns its name.
const char* clock_vfs_name();

// While alive, SQLite's 'now' on this thread is `now_ms` (milliseconds since the UNIX epoch).
// Scopes nest; the innermost wins.
class ClockScope {
 public:
  explicit ClockScope(int64_t now_ms);
  ~ClockScope();
  ClockScope(const ClockScope&) = delete;
  ClockScope& operator=(const ClockScope&) = delete;

 private:
  bool had_prev_;
  int64_t prev_ms_;
};

}  // namespace era::store
