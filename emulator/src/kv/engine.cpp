#include "kv/engine.h"

#include "core/crypto.h"
#include "kv/errors.h"
#include "kv/validate.h"
#include "store/lmdb.h"

namespace era::kv {
namespace {

using store::Table;

std::string storage_key(std::string_view ns, std::string_view key) {
  std::string k;
  k.reserve(ns.size() + 1 + key.size());
  k.append(ns);
  k.push_back('\0');
  k.append(key);
  return k;
}

std::string ns_prefix(std::string_view ns) {
  std::string p(ns);
  p.push_back('\0');
  return p;
}

Error corrupt() { return Error(Code::STORE_CORRUPT, "corrupt KV record"); }

// What the sweep may do with a record at now.
enum class Reclaim { keep, remove, compact };

Reclaim classify(const RecordView& r, int64_t now_ms, int64_t delay_ms) {
  bool cur_everywhere = is_propagated(r.cur, now_ms, delay_ms);
  bool prev_dead = !r.prev || is_dead(*r.prev, now_ms);
  bool own_dead = !r.own || is_dead(*r.own, now_ms);
  // Dead versions stay dead (expiration is absolute), so a record that reads as a miss for every
  // location now does so for good.
  if (is_dead(r.cur, now_ms) && (cur_everywhere || (prev_dead && own_dead))) return Reclaim::remove;
  if ((r.prev || r.own) && cur_everywhere) return Reclaim::compact;
  if (r.prev && prev_dead && !r.own) return Reclaim::compact;
  return Reclaim::keep;
}

}  // namespace

Engine::Engine(store::Lmdb& db, Options opts)
    : db_(db), opts_(opts), cache_(opts.edge_cache_max_entries, opts.edge_cache_max_bytes) {}

// ---- settings ----

Options Engine::options() const {
  std::shared_lock lock(opts_mu_);
  return opts_;
}

Status Engine::set_options(const Options& o) {
  if (o.propagation_delay_ms < 0)
    return fail(Code::BAD_REQUEST, "propagation_delay_ms must be >= 0 (0 = strongly consistent)");
  std::unique_lock lock(opts_mu_);
  opts_.propagation_delay_ms = o.propagation_delay_ms;
  opts_.rate_limit_writes = o.rate_limit_writes;
  return {};
}

NamespaceOptions Engine::namespace_options(std::string_view ns) const {
  std::shared_lock lock(opts_mu_);
  auto it = ns_opts_.find(ns);
  return it == ns_opts_.end() ? NamespaceOptions{} : it->second;
}

std::map<std::string, NamespaceOptions> Engine::all_namespace_options() const {
  std::shared_lock lock(opts_mu_);
  return {ns_opts_.begin(), ns_opts_.end()};
}

Status Engine::set_namespace_options(std::string_view ns, NamespaceOptions o) {
  if (o.default_ttl_s && *o.default_ttl_s < kMinExpirationTtlS)
    return fail(errors::ttl_too_small(std::to_string(*o.default_ttl_s)));
  if (o.propagation_delay_ms && *o.propagation_delay_ms < 0)
    return fail(Code::BAD_REQUEST, "propagation_delay_ms must be >= 0 (0 = strongly consistent)");
  std::unique_lock lock(opts_mu_);
  if (!o.default_ttl_s && !o.propagation_delay_ms) {
    if (auto it = ns_opts_.find(ns); it != ns_opts_.end()) ns_opts_.erase(it);
  } else {
    ns_opts_.insert_or_assign(std::string(ns), o);
  }
  return {};
}

void Engine::set_namespace_cipher(std::string_view ns, std::shared_ptr<const core::Aead> aead) {
  ciphers_.set(ns, std::move(aead));
}

std::shared_ptr<const core::Aead> Engine::namespace_cipher(std::string_view ns) const {
  return ciphers_.get(ns);
}

int64_t Engine::propagation_delay_ms(std::string_view ns) const {
  std::shared_lock lock(opts_mu_);
  auto it = ns_opts_.find(ns);
  if (it != ns_opts_.end() && it->second.propagation_delay_ms) return *it->second.propagation_delay_ms;
  return opts_.propagation_delay_ms;
}

// ---- record codec: sealed or plain ----

Result<std::optional<RecordView>> Engine::decode(std::string_view skey, std::string_view raw,
                                                 const core::Aead* aead, std::string& buf) const {
  if (is_sealed_record(raw)) {
    if (!aead)
      return fail(Code::ENCRYPTION_SECRET_MISSING,
                  "KV namespace " + std::string(skey.substr(0, skey.find('\0'))) +
                      " holds encrypted records but no encryption secret is configured for it");
    auto plain = open_record(*aead, skey, raw);
    if (!plain) return fail(plain.error());
    buf = std::move(*plain);
    raw = buf;
  }
  return decode_record(raw);
}

std::string Engine::encode(std::string_view skey, const core::Aead* aead, int64_t created,
                           const VersionView& cur, const VersionView* prev, const VersionView* own) const {
  std::string plain = encode_record(created, cur, prev, own);
  return aead ? seal_record(*aead, skey, plain) : plain;
}

// ---- reads ----

Result<std::optional<Entry>> Engine::read(std::string_view ns, std::string_view key,
                                          std::string_view location, int64_t now_ms,
                                          int64_t delay_ms, View view) {
  const auto aead = namespace_cipher(ns);
  const std::string skey = storage_key(ns, key);
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  auto raw = txn->get(Table::kv, skey);
  if (!raw) return fail(raw.error());
  if (!*raw) return std::optional<Entry>{};
  std::string buf;
  auto opened = decode(skey, **raw, aead.get(), buf);
  if (!opened) return fail(opened.error());
  auto& rec = *opened;
  if (!rec) return fail(corrupt());
  const VersionView* v =
      view == View::stale ? stale_version(*rec, now_ms, delay_ms)
                          : visible_version(*rec, location, now_ms, delay_ms, view == View::authoritative);
  if (!v) return std::optional<Entry>{};
  return std::optional<Entry>(to_entry(*rec, *v));
}

Result<std::optional<Entry>> Engine::get(const OpContext& ctx, std::string_view ns,
                                         std::string_view key, const GetOptions& opts) {
  if (auto err = validate_key(key)) return fail(*err);
  if (auto err = validate_location(ctx.location)) return fail(*err);
  const int64_t delay = propagation_delay_ms(ns);
  if (ctx.stale) {
    auto r = read(ns, key, ctx.location, ctx.now_ms, delay, View::stale);
    if (r && *r) (*r)->cache_status = "STALE";
    return r;
  }
  // A strongly consistent namespace has no edge caches either.
  if (delay == 0) return read(ns, key, ctx.location, ctx.now_ms, 0, View::authoritative);

  const int64_t ttl_ms = opts.cache_ttl_s * 1000;
  auto cached = cache_.lookup(ctx.location, ns, key, ctx.now_ms, ttl_ms);
  if (cached.hit) {
    // Expiration wins over a longer cacheTtl (spec §1.1).
    if (!cached.entry || is_expired(cached.entry->expiration, ctx.now_ms))
      return std::optional<Entry>{};
    std::optional<Entry> hit(*cached.entry);
    hit->cache_status = "HIT";
    return hit;
  }
  auto fresh = read(ns, key, ctx.location, ctx.now_ms, delay, View::edge);
  if (!fresh) return fresh;
  std::shared_ptr<const Entry> keep;
  if (*fresh) keep = std::make_shared<const Entry>(**fresh);
  cache_.fill(ctx.location, ns, key, std::move(keep), ctx.now_ms, ttl_ms, cached.stamp);
  if (*fresh) (*fresh)->cache_status = "MISS";
  return fresh;
}

Result<std::optional<Entry>> Engine::get_authoritative(std::string_view ns, std::string_view key,
                                                       int64_t now_ms) {
  if (auto err = validate_key(key)) return fail(*err);
  return read(ns, key, {}, now_ms, 0, View::authoritative);
}

Result<ListResult> Engine::list(const OpContext& ctx, std::string_view ns, const ListOptions& opts) {
  if (auto err = validate_location(ctx.location)) return fail(*err);
  return list_view(ns, opts, ctx.location, ctx.now_ms, View::edge);
}

Result<ListResult> Engine::list_authoritative(std::string_view ns, const ListOptions& opts,
                                              int64_t now_ms) {
  return list_view(ns, opts, {}, now_ms, View::authoritative);
}

Result<ListResult> Engine::list_view(std::string_view ns, const ListOptions& opts,
                                     std::string_view location, int64_t now_ms, View view) {
  if (auto err = validate_limit(opts.limit, std::to_string(opts.limit))) return fail(*err);
  if (opts.prefix.size() > kMaxKeyBytes) return fail(errors::key_too_long(opts.prefix.size()));
  std::string after;
  if (!opts.cursor.empty()) {
    auto decoded = core::base64_decode(opts.cursor);
    if (!decoded || decoded->empty()) return fail(errors::invalid_cursor());
    after = storage_key(ns, *decoded);
  }
  const int64_t delay = propagation_delay_ms(ns);
  const auto aead = namespace_cipher(ns);
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  ListResult out;
  const std::string prefix = ns_prefix(ns);
  const size_t strip = prefix.size();
  bool more = false;
  Status bad;
  std::string buf;
  ERA_TRY(txn->scan(Table::kv, prefix + opts.prefix, after,
                    [&](std::string_view k, std::string_view v) {
                      auto opened = decode(k, v, aead.get(), buf);
                      if (!opened || !*opened) {
                        bad = opened ? fail(corrupt()) : fail(opened.error());
                        return false;
                      }
                      auto& rec = *opened;
                      const VersionView* vis = visible_version(*rec, location, now_ms, delay,
                                                               view == View::authoritative);
                      if (!vis) return true;
                      if (out.keys.size() == static_cast<size_t>(opts.limit)) {
                        more = true;
                        return false;
                      }
                      ListKey lk{std::string(k.substr(strip)), vis->expiration, nullptr};
                      if (!vis->metadata.empty()) {
                        lk.metadata = nlohmann::json::parse(vis->metadata, nullptr, false);
                        if (lk.metadata.is_discarded()) lk.metadata = nullptr;
                      }
                      out.keys.push_back(std::move(lk));
                      return true;
                    }));
  if (!bad) return fail(bad.error());
  out.list_complete = !more;
  if (more) out.cursor = core::base64_encode(out.keys.back().name);
  return out;
}

// ---- writes ----

Status Engine::take_rate_slot(const OpContext& ctx, std::string_view ns, std::string_view key,
                              bool is_put) {
  if (!options().rate_limit_writes) return {};
  std::lock_guard lock(rate_mu_);
  auto [it, fresh] = last_write_ms_.try_emplace(storage_key(ns, key), ctx.now_ms);
  if (!fresh) {
    int64_t since = ctx.now_ms - it->second;
    if (since >= 0 && since < kRateLimitWindowMs)
      return fail(errors::rate_limited(is_put ? "PUT" : "DELETE"));
    it->second = ctx.now_ms;
  }
  return {};
}

void Engine::release_rate_slot(std::string_view ns, std::string_view key, int64_t now_ms) {
  std::lock_guard lock(rate_mu_);
  auto it = last_write_ms_.find(storage_key(ns, key));
  if (it != last_write_ms_.end() && it->second == now_ms) last_write_ms_.erase(it);
}

Status Engine::put(const OpContext& ctx, std::string_view ns, std::string_view key,
                   std::string_view value, const PutOptions& opts) {
  if (auto err = validate_key(key)) return fail(*err);
  if (auto err = validate_value(value)) return fail(*err);
  if (auto err = validate_location(ctx.location)) return fail(*err);
  std::string meta;
  if (opts.metadata && !opts.metadata->is_null()) {
    meta = opts.metadata->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto err = validate_metadata(meta)) return fail(*err);
  }
  int64_t expiration = opts.expiration;
  if (expiration == 0) {
    if (auto ttl = namespace_options(ns).default_ttl_s) expiration = ctx.now_ms / 1000 + *ttl;
  }
  std::string v(value);
  return write(ctx, ns, key, &v, meta, expiration, opts.everywhere);
}

Status Engine::del(const OpContext& ctx, std::string_view ns, std::string_view key) {
  if (auto err = validate_key(key)) return fail(*err);
  if (auto err = validate_location(ctx.location)) return fail(*err);
  return write(ctx, ns, key, nullptr, {}, 0, false);
}

Status Engine::write(const OpContext& ctx, std::string_view ns, std::string_view key,
                     const std::string* value, std::string_view metadata, int64_t expiration,
                     bool everywhere) {
  ERA_TRY(take_rate_slot(ctx, ns, key, value != nullptr));
  const int64_t delay = propagation_delay_ms(ns);
  const auto aead = namespace_cipher(ns);
  const std::string skey = storage_key(ns, key);
  // Group commit: concurrent puts share one LMDB commit; this returns once it is in the file.
  Status st = db_.write([&](store::Txn& txn) -> Status {
    auto old = txn.get(Table::kv, skey);
    if (!old) return fail(old.error());

    VersionView cur;
    cur.tombstone = value == nullptr;
    cur.everywhere = everywhere;
    cur.written_ms = ctx.now_ms;
    cur.expiration = expiration;
    cur.writer = ctx.location;
    cur.metadata = metadata;
    if (value) cur.value = *value;

    int64_t created = ctx.now_ms;
    std::optional<VersionView> prev, own;
    std::string old_bytes;     // the views below point into these, not into the LMDB page
    std::string opened_bytes;  // the decrypted record when sealed
    if (*old) {
      old_bytes.assign(**old);
      auto opened = decode(skey, old_bytes, aead.get(), opened_bytes);
      if (!opened) return fail(opened.error());
      auto& rec = *opened;
      if (!rec) return fail(corrupt());
      // What other locations keep seeing until this write propagates: the old current version
      // if it had reached them, else what they were already seeing.
      if (delay > 0 && !everywhere) {
        if (is_propagated(rec->cur, ctx.now_ms, delay)) {
          prev = rec->cur;
        } else {
          bool own_out = rec->own && is_propagated(*rec->own, ctx.now_ms, delay);
          prev = own_out ? rec->own : rec->prev;
          // The overwritten write is still travelling: its own location keeps it (and others get
          // it when it arrives) until this one propagates. One such version is kept; an older
          // one still travelling from a third location is dropped (docs/semantics.md).
          if (rec->cur.writer != ctx.location) own = rec->cur;
          else if (rec->own && !own_out && rec->own->writer != ctx.location) own = rec->own;
        }
      }
      if (prev && is_dead(*prev, ctx.now_ms)) prev.reset();
      if (!is_dead(rec->cur, ctx.now_ms)) created = rec->created_ms;
    }
    if (cur.tombstone && !prev && !own) {
      // Nothing left for anyone to see: no record at all.
      if (*old) ERA_TRY(txn.del(Table::kv, skey));
    } else {
      ERA_TRY(txn.put(Table::kv, skey, encode(skey, aead.get(), created, cur, prev ? &*prev : nullptr, own ? &*own : nullptr)));
    }
    return {};
  });
  if (!st) {
    release_rate_slot(ns, key, ctx.now_ms);
    return st;
  }
  cache_.on_write(ctx.location, ns, key);
  return {};
}

// ---- whole-table operations ----

Status Engine::list_resources(const OpContext& ctx, const ResourceFilter& filter,
                              const std::function<void(Resource&&)>& fn) {
  if (!filter.type.empty() && filter.type != "kv") return {};
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  std::string prefix = filter.ns.empty() ? std::string() : ns_prefix(filter.ns) + filter.key_prefix;
  return txn->scan(Table::kv, prefix, {}, [&](std::string_view k, std::string_view v) {
    size_t sep = k.find('\0');
    if (sep == std::string_view::npos) return true;
    std::string_view key = k.substr(sep + 1);
    if (!key.starts_with(filter.key_prefix)) return true;
    std::string buf;
    auto opened = decode(k, v, namespace_cipher(k.substr(0, sep)).get(), buf);
    if (!opened || !*opened) return true;  // unreadable records are not listed as resources
    auto& rec = *opened;
    const VersionView* vis = visible_version(*rec, {}, ctx.now_ms, 0, /*authoritative=*/true);
    if (!vis) return true;
    Entry e = to_entry(*rec, *vis);
    Resource r;
    r.type = "kv";
    r.ns = std::string(k.substr(0, sep));
    r.key = std::string(key);
    r.size = e.value.size();
    r.metadata = std::move(e.metadata);
    r.created_ms = e.created_ms;
    r.updated_ms = e.updated_ms;
    fn(std::move(r));
    return true;
  });
}

Result<size_t> Engine::sweep_expired(int64_t now_ms, size_t max_keys) {
  std::lock_guard sweep_lock(sweep_mu_);
  cache_.prune(now_ms);
  {
    std::lock_guard lock(rate_mu_);
    std::erase_if(last_write_ms_, [&](const auto& kv) {
      return now_ms - kv.second >= kRateLimitWindowMs || now_ms < kv.second;
    });
  }
  auto delay_of = [this, cache = std::map<std::string, int64_t, std::less<>>()](
                      std::string_view full_key) mutable {
    std::string_view ns = full_key.substr(0, full_key.find('\0'));
    auto it = cache.find(ns);
    if (it == cache.end()) it = cache.emplace(std::string(ns), propagation_delay_ms(ns)).first;
    return it->second;
  };
  auto cipher_of = [this](std::string_view full_key) {
    return namespace_cipher(full_key.substr(0, full_key.find('\0')));
  };
  std::vector<std::string> todo;
  {
    auto txn = db_.begin_read();
    if (!txn) return fail(txn.error());
    std::string buf;
    const std::string after = max_keys ? sweep_after_ : std::string();
    size_t seen = 0;
    std::string last;
    ERA_TRY(txn->scan(Table::kv, {}, after, [&](std::string_view k, std::string_view v) {
      // Sealed records whose namespace has no cipher (or that fail to open) are left alone.
      auto opened = decode(k, v, cipher_of(k).get(), buf);
      if (opened && *opened && classify(**opened, now_ms, delay_of(k)) != Reclaim::keep)
        todo.emplace_back(k);
      if (max_keys && ++seen == max_keys) {
        last = k;
        return false;
      }
      return true;
    }));
    if (max_keys) sweep_after_ = std::move(last);  // empty when the scan reached the end: wrap
  }
  if (todo.empty()) return size_t(0);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  size_t removed = 0;
  for (const auto& k : todo) {
    // Re-check inside the write transaction: the key may have been rewritten meanwhile.
    auto cur = txn->get(Table::kv, k);
    if (!cur) return fail(cur.error());
    if (!*cur) continue;
    const auto aead = cipher_of(k);
    std::string bytes(**cur);
    std::string plain;
    auto opened = decode(k, bytes, aead.get(), plain);
    if (!opened || !*opened) continue;
    auto& rec = *opened;
    switch (classify(*rec, now_ms, delay_of(k))) {
      case Reclaim::keep:
        break;
      case Reclaim::remove: {
        auto r = txn->del(Table::kv, k);
        if (!r) return fail(r.error());
        removed += *r ? 1 : 0;
        break;
      }
      case Reclaim::compact:
        ERA_TRY(txn->put(Table::kv, k, encode(k, aead.get(), rec->created_ms, rec->cur, nullptr)));
        break;
    }
  }
  ERA_TRY(txn->commit());
  return removed;
}

Result<size_t> Engine::clear(std::string_view ns) {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto n = txn->erase_prefix(Table::kv, ns.empty() ? std::string() : ns_prefix(ns));
  if (!n) return fail(n.error());
  ERA_TRY(txn->commit());
  cache_.clear(ns);
  {
    std::lock_guard lock(rate_mu_);
    if (ns.empty()) {
      last_write_ms_.clear();
    } else {
      std::string p = ns_prefix(ns);
      std::erase_if(last_write_ms_, [&](const auto& kv) { return kv.first.starts_with(p); });
    }
  }
  return *n;
}

}  // namespace era::kv
