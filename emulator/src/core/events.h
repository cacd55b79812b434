#pragma once
// A bounded ring of the operations the emulator served, for tests that assert "this code wrote
// key X exactly once" or "retried after the 503". Sequence numbers start at 1 and only grow
// (also across clear()), so `since` cursors stay valid. Thread-safe; record() is one short
// critical section and a move.
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

class EventLog {
 public:
  explicit EventLog(size_t capacity = 10000) : capacity_(capacity) {}
  uint64_t record(Event e);
  EventPage query(const EventFilter& f) const;
  void clear();  // keeps the sequence counter
  uint64_t last_seq() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Event> ring_;
  uint64_t seq_ = 0;
};

}  // namespace era::core
