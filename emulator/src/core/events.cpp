#include "core/events.h"

#include <algorithm>

#include "core/time_util.h"

namespace era::core {

nlohmann::json Event::to_json() const {
  nlohmann::json j = {{"seq", seq},
                      {"time", iso8601_ms(time_ms)},
                      {"time_ms", time_ms},
                      {"service", service},
                      {"op", op},
                      {"namespace", ns},
                      {"key", key},
                      {"status", status},
                      {"duration_ms", duration_ms},
                      {"fault", fault.empty() ? nlohmann::json(nullptr) : nlohmann::json(fault)}};
  if (!fault_type.empty()) j["fault_type"] = fault_type;
  if (!client.empty()) j["client"] = client;
  return j;
}

uint64_t EventLog::record(Event e) {
  std::lock_guard lock(mu_);
  e.seq = ++seq_;
  if (ring_.size() >= capacity_) ring_.pop_front();
  ring_.push_back(std::move(e));
  return seq_;
}

EventPage EventLog::query(const EventFilter& f) const {
  std::lock_guard lock(mu_);
  EventPage page;
  page.next = std::max(f.since, seq_);
  if (!ring_.empty() && ring_.front().seq > f.since + 1) page.dropped = ring_.front().seq - f.since - 1;
  // Ring seqs are contiguous: jump straight to the first one after `since`.
  size_t start = 0;
  if (!ring_.empty() && f.since >= ring_.front().seq) start = size_t(f.since - ring_.front().seq + 1);
  for (size_t i = start; i < ring_.size(); ++i) {
    const Event& e = ring_[i];
    if ((!f.service.empty() && e.service != f.service) || (!f.op.empty() && e.op != f.op) ||
        (!f.ns.empty() && e.ns != f.ns) || (!f.key.empty() && e.key != f.key) ||
        (!f.client.empty() && e.client != f.client))
      continue;
    if (page.events.size() == f.limit) {
      page.next = page.events.back().seq;
      return page;
    }
    page.events.push_back(e);
  }
  return page;
}

void EventLog::clear() {
  std::lock_guard lock(mu_);
  ring_.clear();
}

uint64_t EventLog::last_seq() const {
  std::lock_guard lock(mu_);
  return seq_;
}

}  // namespace era::core
