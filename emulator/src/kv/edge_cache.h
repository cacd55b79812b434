#pragma once
// The per-location read cache of production KV (spec §1.1-1.2): what location L last read for
// (ns, key) — a value or a miss — and until when (read time + cacheTtl). While an entry is live,
// L keeps getting it even if a newer write has propagated; an expired value still reads as a miss
// ("expiration wins"). A write at L drops L's own entry, so a location sees its own writes.
//
// In memory only (it is a cache): bounded by entry count and cached value bytes; when full it
// first drops expired entries, then declines to cache (the read is answered fresh). Thread-safe.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kv/record.h"

namespace era::kv {

class EdgeCache {
 public:
  EdgeCache(size_t max_entries, size_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // A cached answer: entry == nullptr is a cached miss.
  struct Lookup {
    bool hit = false;
    std::shared_ptr<const Entry> entry;
    uint64_t stamp = 0;  // pass to fill(); detects a write racing the fresh read
  };
  // A live entry for (location, ns, key) at now. A smaller cache_ttl_ms than the one the entry
  // was filled with shortens it, as in production.
  Lookup lookup(std::string_view location, std::string_view ns, std::string_view key,
                int64_t now_ms, int64_t cache_ttl_ms);
  // Caches what a fresh read returned, unless a write to (ns, key) happened since lookup().
  void fill(std::string_view location, std::string_view ns, std::string_view key,
            std::shared_ptr<const Entry> entry, int64_t now_ms, int64_t cache_ttl_ms, uint64_t stamp);
  // A write to (ns, key) at `location`: drops that location's entry.
  void on_write(std::string_view location, std::string_view ns, std::string_view key);
  // Drops entries that expired by now.
  void prune(int64_t now_ms);
  // Drops every entry of one namespace (all when empty).
  void clear(std::string_view ns);
  size_t size() const;

 private:
  struct Item {
    std::shared_ptr<const Entry> entry;
    int64_t read_ms = 0;
    int64_t until_ms = 0;
    size_t bytes = 0;
  };
  static std::string cache_key(std::string_view location, std::string_view ns, std::string_view key);
  static size_t bucket(std::string_view ns, std::string_view key);
  void erase(std::unordered_map<std::string, Item>::iterator it);
  void prune_locked(int64_t now_ms);

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Item> items_;
  size_t bytes_ = 0;
  std::array<uint64_t, 4096> stamps_{};
};

}  // namespace era::kv
