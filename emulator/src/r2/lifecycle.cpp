// Declared per-bucket rules: lifecycle expiry, multipart expiry, object-size limit.
#include <algorithm>
#include <mutex>
#include <set>

#include "r2/engine.h"
#include "r2/internal.h"
#include "store/lmdb.h"

namespace era::r2 {

using store::Table;

void Engine::set_bucket_options(std::string_view bucket, BucketOptions o) {
  std::unique_lock lock(bucket_mu_);
  if (!o.delete_after_ms && !o.upload_ttl_ms && !o.max_object_bytes) {
    if (auto it = bucket_opts_.find(bucket); it != bucket_opts_.end()) bucket_opts_.erase(it);
    return;
  }
  bucket_opts_.insert_or_assign(std::string(bucket), o);
}

BucketOptions Engine::bucket_options(std::string_view bucket) const {
  std::shared_lock lock(bucket_mu_);
  auto it = bucket_opts_.find(bucket);
  BucketOptions o = it == bucket_opts_.end() ? BucketOptions{} : it->second;
  if (auto l = lifecycle_opts_.find(bucket); l != lifecycle_opts_.end()) {
    if (l->second.delete_after_ms) o.delete_after_ms = l->second.delete_after_ms;
    if (l->second.upload_ttl_ms) o.upload_ttl_ms = l->second.upload_ttl_ms;
  }
  return o;
}

namespace {

constexpr int64_t kDayMs = int64_t(24) * 3600 * 1000;

// The override a rule list makes: the shortest enabled expiry and multipart abort.
BucketOptions lifecycle_override(const nlohmann::json& rules) {
  BucketOptions o;
  if (!rules.is_array()) return o;
  for (const auto& r : rules) {
    if (!r.is_object() || !r.value("enabled", false)) continue;
    if (auto d = r.find("expireDays"); d != r.end() && d->is_number_integer()) {
      int64_t ms = d->get<int64_t>() * kDayMs;
      o.delete_after_ms = o.delete_after_ms ? std::min(*o.delete_after_ms, ms) : ms;
    }
    if (auto d = r.find("abortDays"); d != r.end() && d->is_number_integer()) {
      int64_t ms = d->get<int64_t>() * kDayMs;
      o.upload_ttl_ms = o.upload_ttl_ms ? std::min(*o.upload_ttl_ms, ms) : ms;
    }
  }
  return o;
}

}  // namespace

Status Engine::set_bucket_lifecycle(const OpContext& ctx, std::string_view bucket, const nlohmann::json& rules) {
  const bool none = !rules.is_array() || rules.empty();
  ERA_TRY(set_bucket_config(ctx, bucket, "lifecycle", none ? nlohmann::json() : rules));
  BucketOptions o = lifecycle_override(rules);
  std::unique_lock lock(bucket_mu_);
  if (!o.delete_after_ms && !o.upload_ttl_ms) lifecycle_opts_.erase(std::string(bucket));
  else lifecycle_opts_.insert_or_assign(std::string(bucket), o);
  return {};
}

Status Engine::load_bucket_lifecycles() {
  auto buckets = list_buckets();
  if (!buckets) return fail(buckets.error());
  for (const auto& b : *buckets) {
    auto rules = bucket_config(b.name, "lifecycle");
    if (!rules) return fail(rules.error());
    BucketOptions o = lifecycle_override(*rules);
    if (!o.delete_after_ms && !o.upload_ttl_ms) continue;
    std::unique_lock lock(bucket_mu_);
    lifecycle_opts_.insert_or_assign(b.name, o);
  }
  return {};
}

uint64_t Engine::max_object_bytes(std::string_view bucket) const {
  auto o = bucket_options(bucket);
  return o.max_object_bytes ? std::min(*o.max_object_bytes, opts_.max_put_bytes) : opts_.max_put_bytes;
}

std::optional<int64_t> Engine::expired_before(std::string_view bucket, int64_t now_ms) const {
  auto o = bucket_options(bucket);
  if (!o.delete_after_ms) return std::nullopt;
  return now_ms - *o.delete_after_ms;  // uploaded_ms <= this  <=>  uploaded_ms + N <= now
}

bool Engine::is_expired(std::string_view bucket, const ObjectMeta& m, int64_t now_ms) const {
  auto cutoff = expired_before(bucket, now_ms);
  return cutoff && m.uploaded_ms <= *cutoff;
}

int64_t Engine::upload_ttl_ms(std::string_view bucket) const {
  return bucket_options(bucket).upload_ttl_ms.value_or(opts_.upload_ttl_ms);
}

// Deletes objects past their bucket's lifecycle, one bucket per write transaction; blobs go
// after the commit (a reader that opened one keeps reading it).
Result<size_t> Engine::sweep_lifecycle(int64_t now_ms) {
  std::vector<std::pair<std::string, int64_t>> rules;
  {
    std::set<std::string, std::less<>> names;
    {
      std::shared_lock lock(bucket_mu_);
      for (const auto& [bucket, o] : bucket_opts_) names.insert(bucket);
      for (const auto& [bucket, o] : lifecycle_opts_) names.insert(bucket);
    }
    for (const auto& bucket : names)
      if (auto o = bucket_options(bucket); o.delete_after_ms) rules.emplace_back(bucket, now_ms - *o.delete_after_ms);
  }
  size_t removed = 0;
  for (const auto& [bucket, cutoff] : rules) {
    // Look first under a read transaction, so a bucket with nothing to delete never holds
    // LMDB's single writer for a full scan.
    bool any = false;
    {
      auto rtxn = db_.begin_read();
      if (!rtxn) return fail(rtxn.error());
      ERA_TRY(rtxn->scan(Table::r2, bucket_prefix(bucket), {}, [&](std::string_view, std::string_view v) {
        auto m = decode_object(v, false);
        any = m && m->uploaded_ms <= cutoff;
        return !any;
      }));
    }
    if (!any) continue;
    std::vector<std::string> doomed;
    {
      auto txn = db_.begin_write();
      if (!txn) return fail(txn.error());
      std::vector<std::string> keys;
      ERA_TRY(txn->scan(Table::r2, bucket_prefix(bucket), {}, [&](std::string_view k, std::string_view v) {
        auto m = decode_object(v, false);
        if (m && m->uploaded_ms <= cutoff) {
          keys.emplace_back(k);
          doomed.push_back(m->blob);
        }
        return true;
      }));
      if (keys.empty()) continue;
      for (const auto& k : keys) {
        auto d = txn->del(Table::r2, k);
        if (!d) return fail(d.error());
      }
      ERA_TRY(txn->commit());
      removed += keys.size();
    }
    for (const auto& b : doomed) (void)blobs_.remove(b);
  }
  return removed;
}

}  // namespace era::r2
