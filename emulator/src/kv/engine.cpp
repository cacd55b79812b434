#include "kv/engine.h"

#include <cstring>

#include "core/crypto.h"
#include "kv/errors.h"
#include "kv/validate.h"
#include "store/lmdb.h"

namespace era::kv {
namespace {

using store::Table;

// Record v1: [u8 1][i64 created_ms][i64 updated_ms][i64 expiration_s][u32 meta_len][meta][value]
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kHeader = 1 + 8 * 3 + 4;

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

template <class T>
void put_raw(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get_raw(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool expired(int64_t expiration_s, int64_t now_ms) {
  return expiration_s != 0 && expiration_s * 1000 <= now_ms;
}

nlohmann::json parse_metadata(std::string_view text) {
  if (text.empty()) return nullptr;
  return nlohmann::json::parse(text, nullptr, false);
}

}  // namespace

std::string encode_entry(const Entry& e, std::string_view metadata_json) {
  std::string out;
  out.reserve(kHeader + metadata_json.size() + e.value.size());
  out.push_back(static_cast<char>(kRecordVersion));
  put_raw<int64_t>(out, e.created_ms);
  put_raw<int64_t>(out, e.updated_ms);
  put_raw<int64_t>(out, e.expiration);
  put_raw<uint32_t>(out, static_cast<uint32_t>(metadata_json.size()));
  out.append(metadata_json);
  out.append(e.value);
  return out;
}

std::optional<Entry> decode_entry(std::string_view b) {
  if (b.size() < kHeader || static_cast<uint8_t>(b[0]) != kRecordVersion) return std::nullopt;
  Entry e;
  e.created_ms = get_raw<int64_t>(b.data() + 1);
  e.updated_ms = get_raw<int64_t>(b.data() + 9);
  e.expiration = get_raw<int64_t>(b.data() + 17);
  uint32_t mlen = get_raw<uint32_t>(b.data() + 25);
  if (b.size() < kHeader + mlen) return std::nullopt;
  e.metadata = parse_metadata(b.substr(kHeader, mlen));
  e.value = std::string(b.substr(kHeader + mlen));
  return e;
}

Result<std::optional<Entry>> Engine::get(const OpContext& ctx, std::string_view ns,
                                         std::string_view key) {
  if (auto err = validate_key(key)) return fail(*err);
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  auto raw = txn->get(Table::kv, storage_key(ns, key));
  if (!raw) return fail(raw.error());
  if (!*raw) return std::optional<Entry>{};
  auto e = decode_entry(**raw);
  if (!e) return fail(Code::STORE_CORRUPT, "corrupt KV record");
  if (expired(e->expiration, ctx.now_ms)) return std::optional<Entry>{};
  return std::optional<Entry>(std::move(*e));
}

Status Engine::put(const OpContext& ctx, std::string_view ns, std::string_view key,
                   std::string_view value, const PutOptions& opts) {
  if (auto err = validate_key(key)) return fail(*err);
  if (auto err = validate_value(value)) return fail(*err);
  std::string meta;
  if (opts.metadata && !opts.metadata->is_null()) {
    meta = opts.metadata->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto err = validate_metadata(meta)) return fail(*err);
  }
  Entry e;
  e.value = std::string(value);
  e.expiration = opts.expiration;
  e.updated_ms = e.created_ms = ctx.now_ms;
  std::string skey = storage_key(ns, key);

  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto old = txn->get(Table::kv, skey);
  if (!old) return fail(old.error());
  if (*old) {
    if (auto prev = decode_entry(**old); prev && !expired(prev->expiration, ctx.now_ms))
      e.created_ms = prev->created_ms;
  }
  ERA_TRY(txn->put(Table::kv, skey, encode_entry(e, meta)));
  return txn->commit();
}

Status Engine::del(const OpContext&, std::string_view ns, std::string_view key) {
  if (auto err = validate_key(key)) return fail(*err);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto r = txn->del(Table::kv, storage_key(ns, key));
  if (!r) return fail(r.error());
  return txn->commit();
}

Result<ListResult> Engine::list(const OpContext& ctx, std::string_view ns, const ListOptions& opts) {
  if (auto err = validate_limit(opts.limit, std::to_string(opts.limit))) return fail(*err);
  if (opts.prefix.size() > kMaxKeyBytes) return fail(errors::key_too_long(opts.prefix.size()));
  std::string after;
  if (!opts.cursor.empty()) {
    auto decoded = core::base64_decode(opts.cursor);
    if (!decoded || decoded->empty()) return fail(errors::invalid_cursor());
    after = storage_key(ns, *decoded);
  }
  auto txn = db_.begin_read();
  if (!txn) return fail(txn.error());
  ListResult out;
  const std::string prefix = ns_prefix(ns);
  const size_t strip = prefix.size();
  std::string last;
  bool more = false;
  ERA_TRY(txn->scan(Table::kv, prefix + opts.prefix, after,
                    [&](std::string_view k, std::string_view v) {
                      auto e = decode_entry(v);
                      if (!e || expired(e->expiration, ctx.now_ms)) return true;
                      if (out.keys.size() == static_cast<size_t>(opts.limit)) {
                        more = true;
                        return false;
                      }
                      out.keys.push_back({std::string(k.substr(strip)), e->expiration,
                                          std::move(e->metadata)});
                      return true;
                    }));
  out.list_complete = !more;
  if (more) out.cursor = core::base64_encode(out.keys.back().name);
  return out;
}

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
    auto e = decode_entry(v);
    if (!e || expired(e->expiration, ctx.now_ms)) return true;
    Resource r;
    r.type = "kv";
    r.ns = std::string(k.substr(0, sep));
    r.key = std::string(key);
    r.size = e->value.size();
    r.metadata = std::move(e->metadata);
    r.created_ms = e->created_ms;
    r.updated_ms = e->updated_ms;
    fn(std::move(r));
    return true;
  });
}

Result<size_t> Engine::sweep_expired(int64_t now_ms) {
  std::vector<std::string> doomed;
  {
    auto txn = db_.begin_read();
    if (!txn) return fail(txn.error());
    ERA_TRY(txn->scan(Table::kv, {}, {}, [&](std::string_view k, std::string_view v) {
      if (v.size() >= kHeader && expired(get_raw<int64_t>(v.data() + 17), now_ms))
        doomed.emplace_back(k);
      return true;
    }));
  }
  if (doomed.empty()) return size_t(0);
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  size_t n = 0;
  for (const auto& k : doomed) {
    // Re-check inside the write transaction: the key may have been rewritten meanwhile.
    auto cur = txn->get(Table::kv, k);
    if (!cur) return fail(cur.error());
    if (!*cur || (*cur)->size() < kHeader || !expired(get_raw<int64_t>((*cur)->data() + 17), now_ms))
      continue;
    auto r = txn->del(Table::kv, k);
    if (!r) return fail(r.error());
    n += *r ? 1 : 0;
  }
  ERA_TRY(txn->commit());
  return n;
}

Result<size_t> Engine::clear(std::string_view ns) {
  auto txn = db_.begin_write();
  if (!txn) return fail(txn.error());
  auto n = txn->erase_prefix(Table::kv, ns.empty() ? std::string() : ns_prefix(ns));
  if (!n) return fail(n.error());
  ERA_TRY(txn->commit());
  return *n;
}

}  // namespace era::kv
