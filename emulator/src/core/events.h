#pragma once
// A bounded ring of the operations the emulator served, for tests that assert "this code wrote
// key X exactly once" or "retried after the 503". Sequence numbers start at 1 and only grow
// (also across clear()), so `since` cursors stay valid. Thread-safe; record() is one short
// critical section and a move.
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace era::core {

struct Event {
  uint64_t seq = 0;     // assigned by record()
  int64_t time_ms = 0;  // virtual clock at the start of the call
  std::string service, op, ns, key;
  int status = 0;
  double duration_ms = 0;
  std::string fault;       // rule id when a fault rule fired, else empty
  std::string fault_type;  // its action type
  std::string client;      // X-Era-Client, when sent

  nlohmann::json to_json() const;
};

struct EventFilter {
  uint64_t since = 0;  // events with seq > since
  std::string service, op, ns, key, client;  // empty = any
  size_t limit = 1000;
};

struct EventPage {
  std::vector<Event> events;
  uint64_t next = 0;     // pass as `since` to continue
  uint64_t dropped = 0;  // matching events may have been lost: the ring overflowed past `since`
};

// Requests per real-time second and service over the last kStatsSeconds (the inspector's
// rate and latency chart): counted in record(), so they cover every call even when the ring
// has long overflowed.
struct SecondStats {
  int64_t second = 0;  // unix seconds (wall clock, not the virtual one)
  uint32_t count = 0, errors = 0;  // errors: status >= 400
  double total_ms = 0, max_ms = 0;
};

class EventLog {
 public:
  static constexpr size_t kStatsSeconds = 300;
  static constexpr const char* kStatsServices[] = {"kv", "r2", "d1", "other"};

  explicit EventLog(size_t capacity = 10000) : capacity_(capacity) {}
  uint64_t record(Event e);
  EventPage query(const EventFilter& f) const;
  // query(), but when nothing matches yet, waits up to `wait` for a matching event (or close()).
  EventPage wait(const EventFilter& f, std::chrono::milliseconds wait) const;
  void clear();  // keeps the sequence counter
  uint64_t last_seq() const;
  // Ends every wait() now and makes later ones return at once (the emulator is stopping).
  void close();
  // The last `seconds` (<= kStatsSeconds) of per-second stats for kStatsServices[i], oldest
  // first, one entry per second ending at `now_s` (seconds without calls are zeros).
  std::vector<std::vector<SecondStats>> stats(int64_t now_s, size_t seconds) const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Event> ring_;
  uint64_t seq_ = 0;
  bool closed_ = false;
  mutable int waiters_ = 0;  // wait() calls blocked on cv_ (record() wakes them only then)
  std::array<std::array<SecondStats, kStatsSeconds>, 4> stats_{};
};

}  // namespace era::core
