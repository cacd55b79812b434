#include "kv/edge_cache.h"

#include <algorithm>
#include <functional>

namespace era::kv {

std::string EdgeCache::cache_key(std::string_view location, std::string_view ns,
                                 std::string_view key) {
  // ns first so clear(ns) can match on a prefix; \0 cannot occur in a namespace or location.
  std::string k;
  k.reserve(ns.size() + location.size() + key.size() + 2);
  k.append(ns).push_back('\0');
  k.append(location).push_back('\0');
  k.append(key);
  return k;
}

size_t EdgeCache::bucket(std::string_view ns, std::string_view key) {
  return (std::hash<std::string_view>{}(ns) * 31 + std::hash<std::string_view>{}(key)) % 4096;
}

EdgeCache::Lookup EdgeCache::lookup(std::string_view location, std::string_view ns,
                                    std::string_view key, int64_t now_ms, int64_t cache_ttl_ms) {
  Lookup out;
  std::lock_guard lock(mu_);
  out.stamp = stamps_[bucket(ns, key)];
  auto it = items_.find(cache_key(location, ns, key));
  if (it == items_.end()) return out;
  Item& item = it->second;
  item.until_ms = std::min(item.until_ms, item.read_ms + cache_ttl_ms);
  if (now_ms >= item.until_ms || now_ms < item.read_ms) {  // expired, or the clock went back
    erase(it);
    return out;
  }
  out.hit = true;
  out.entry = item.entry;
  return out;
}

void EdgeCache::fill(std::string_view location, std::string_view ns, std::string_view key,
                     std::shared_ptr<const Entry> entry, int64_t now_ms, int64_t cache_ttl_ms,
                     uint64_t stamp) {
  size_t bytes = entry ? entry->value.size() : 0;
  std::lock_guard lock(mu_);
  if (stamps_[bucket(ns, key)] != stamp) return;
  std::string k = cache_key(location, ns, key);
  if (auto it = items_.find(k); it != items_.end()) erase(it);
  if (items_.size() + 1 > max_entries_ || bytes_ + bytes > max_bytes_) {
    prune_locked(now_ms);
    if (items_.size() + 1 > max_entries_ || bytes_ + bytes > max_bytes_) return;
  }
  bytes_ += bytes;
  items_.emplace(std::move(k), Item{std::move(entry), now_ms, now_ms + cache_ttl_ms, bytes});
}

void EdgeCache::on_write(std::string_view location, std::string_view ns, std::string_view key) {
  std::lock_guard lock(mu_);
  ++stamps_[bucket(ns, key)];
  if (auto it = items_.find(cache_key(location, ns, key)); it != items_.end()) erase(it);
}

void EdgeCache::erase(std::unordered_map<std::string, Item>::iterator it) {
  bytes_ -= it->second.bytes;
  items_.erase(it);
}

void EdgeCache::prune_locked(int64_t now_ms) {
  for (auto it = items_.begin(); it != items_.end();) {
    auto next = std::next(it);
    if (now_ms >= it->second.until_ms || now_ms < it->second.read_ms) erase(it);
    it = next;
  }
}

void EdgeCache::prune(int64_t now_ms) {
  std::lock_guard lock(mu_);
  prune_locked(now_ms);
}

void EdgeCache::clear(std::string_view ns) {
  std::lock_guard lock(mu_);
  for (auto& s : stamps_) ++s;
  if (ns.empty()) {
    items_.clear();
    bytes_ = 0;
    return;
  }
  std::string prefix(ns);
  prefix.push_back('\0');
  for (auto it = items_.begin(); it != items_.end();) {
    auto next = std::next(it);
    if (std::string_view(it->first).starts_with(prefix)) erase(it);
    it = next;
  }
}

size_t EdgeCache::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

}  // namespace era::kv
