#include "core/events.h"

#include <algorithm>
#include <thread>

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

namespace {
size_t stats_index(std::string_view service) {
  if (service == "kv") return 0;
  if (service == "r2") return 1;
  if (service == "d1") return 2;
  return 3;
}
}  // namespace

uint64_t EventLog::record(Event e) {
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    SecondStats& st = stats_[stats_index(e.service)][size_t(now_s) % kStatsSeconds];
    if (st.second != now_s) st = SecondStats{now_s, 0, 0, 0, 0};
    ++st.count;
    if (e.status >= 400) ++st.errors;
    st.total_ms += e.duration_ms;
    st.max_ms = std::max(st.max_ms, e.duration_ms);
    e.seq = seq = ++seq_;
    if (ring_.size() >= capacity_) ring_.pop_front();
    ring_.push_back(std::move(e));
    if (waiters_ == 0) return seq;  // the common case: nobody long-polls, nothing to wake
  }
  cv_.notify_all();
  return seq;
}

EventPage EventLog::wait(const EventFilter& filter, std::chrono::milliseconds wait) const {
  constexpr auto kBatch = std::chrono::milliseconds(25);  // let a burst land before scanning it
  const auto deadline = std::chrono::steady_clock::now() + wait;
  EventFilter f = filter;
  for (;;) {
    EventPage page = query(f);
    if (!page.events.empty() || page.dropped) return page;
    f.since = page.next;  // nothing matched up to here: scan only newer events next time
    {
      std::unique_lock lock(mu_);
      ++waiters_;
      bool woke = cv_.wait_until(lock, deadline, [&] { return closed_ || seq_ > f.since; });
      --waiters_;
      if (closed_ || !woke) {
        lock.unlock();
        return query(f);  // what arrived at the last moment, else nothing and next = f.since
      }
    }
    // Woken by a new event. Under load that is every event: waiting a little more gathers a
    // batch, so an open inspector scans the ring a few dozen times a second, not per request.
    auto pause = std::min<std::chrono::steady_clock::duration>(kBatch, deadline - std::chrono::steady_clock::now());
    if (pause > std::chrono::steady_clock::duration::zero()) std::this_thread::sleep_for(pause);
  }
}

void EventLog::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::vector<std::vector<SecondStats>> EventLog::stats(int64_t now_s, size_t seconds) const {
  seconds = std::min(seconds, kStatsSeconds);
  std::vector<std::vector<SecondStats>> out(stats_.size());
  std::lock_guard lock(mu_);
  for (size_t svc = 0; svc < stats_.size(); ++svc) {
    out[svc].reserve(seconds);
    for (int64_t s = now_s - int64_t(seconds) + 1; s <= now_s; ++s) {
      const SecondStats& st = stats_[svc][size_t(s) % kStatsSeconds];
      out[svc].push_back(st.second == s ? st : SecondStats{s, 0, 0, 0, 0});
    }
  }
  return out;
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
