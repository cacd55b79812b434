#include "kv/record.h"

#include <cstring>

namespace era::kv {
namespace {

constexpr uint8_t kRecordVersion = 2;
constexpr uint8_t kSealedVersion = 3;
constexpr uint8_t kTombstone = 1;
constexpr uint8_t kEverywhere = 2;
constexpr uint8_t kHasPrev = 1;  // record flags byte
constexpr uint8_t kHasOwn = 2;
constexpr size_t kVersionHeader = 1 + 8 + 8 + 2 + 4 + 4;

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

void encode_version(std::string& out, const VersionView& v) {
  out.push_back(static_cast<char>((v.tombstone ? kTombstone : 0) | (v.everywhere ? kEverywhere : 0)));
  put_raw<int64_t>(out, v.written_ms);
  put_raw<int64_t>(out, v.expiration);
  put_raw<uint16_t>(out, static_cast<uint16_t>(v.writer.size()));
  put_raw<uint32_t>(out, static_cast<uint32_t>(v.metadata.size()));
  put_raw<uint32_t>(out, static_cast<uint32_t>(v.value.size()));
  out.append(v.writer);
  out.append(v.metadata);
  out.append(v.value);
}

// Decodes one version at b[pos]; advances pos. False on truncation.
bool decode_version(std::string_view b, size_t& pos, VersionView& v) {
  if (b.size() - pos < kVersionHeader) return false;
  const char* p = b.data() + pos;
  v.tombstone = (static_cast<uint8_t>(p[0]) & kTombstone) != 0;
  v.everywhere = (static_cast<uint8_t>(p[0]) & kEverywhere) != 0;
  v.written_ms = get_raw<int64_t>(p + 1);
  v.expiration = get_raw<int64_t>(p + 9);
  size_t wlen = get_raw<uint16_t>(p + 17);
  size_t mlen = get_raw<uint32_t>(p + 19);
  size_t vlen = get_raw<uint32_t>(p + 23);
  pos += kVersionHeader;
  if (b.size() - pos < wlen + mlen + vlen) return false;
  v.writer = b.substr(pos, wlen);
  v.metadata = b.substr(pos + wlen, mlen);
  v.value = b.substr(pos + wlen + mlen, vlen);
  pos += wlen + mlen + vlen;
  return true;
}

std::string record_ad(std::string_view skey) {
  std::string ad("era-kv", 7);  // includes the terminating \0
  ad.append(skey);
  return ad;
}

}  // namespace

bool is_sealed_record(std::string_view b) {
  return !b.empty() && static_cast<uint8_t>(b[0]) == kSealedVersion;
}

std::string seal_record(const core::Aead& aead, std::string_view skey, std::string_view encoded) {
  std::string out;
  out.reserve(1 + core::Aead::kOverhead + encoded.size());
  out.push_back(static_cast<char>(kSealedVersion));
  aead.seal_to(encoded, record_ad(skey), out);
  return out;
}

Result<std::string> open_record(const core::Aead& aead, std::string_view skey, std::string_view sealed) {
  if (!is_sealed_record(sealed)) return fail(Code::DATA_CORRUPTED, "not a sealed KV record");
  return aead.open(sealed.substr(1), record_ad(skey), "encrypted KV record");
}

std::string encode_record(int64_t created_ms, const VersionView& cur, const VersionView* prev,
                          const VersionView* own) {
  std::string out;
  auto size_of = [](const VersionView& v) { return kVersionHeader + v.writer.size() + v.metadata.size() + v.value.size(); };
  out.reserve(1 + 8 + 1 + size_of(cur) + (prev ? size_of(*prev) : 0) + (own ? size_of(*own) : 0));
  out.push_back(static_cast<char>(kRecordVersion));
  put_raw<int64_t>(out, created_ms);
  out.push_back(static_cast<char>((prev ? kHasPrev : 0) | (own ? kHasOwn : 0)));
  encode_version(out, cur);
  if (prev) encode_version(out, *prev);
  if (own) encode_version(out, *own);
  return out;
}

std::optional<RecordView> decode_record(std::string_view b) {
  if (b.size() < 10 || static_cast<uint8_t>(b[0]) != kRecordVersion) return std::nullopt;
  RecordView r;
  r.created_ms = get_raw<int64_t>(b.data() + 1);
  auto flags = static_cast<uint8_t>(b[9]);
  if (flags & ~(kHasPrev | kHasOwn)) return std::nullopt;
  size_t pos = 10;
  if (!decode_version(b, pos, r.cur)) return std::nullopt;
  if (flags & kHasPrev) {
    VersionView p;
    if (!decode_version(b, pos, p)) return std::nullopt;
    r.prev = p;
  }
  if (flags & kHasOwn) {
    VersionView o;
    if (!decode_version(b, pos, o)) return std::nullopt;
    r.own = o;
  }
  if (pos != b.size()) return std::nullopt;
  return r;
}

const VersionView* visible_version(const RecordView& r, std::string_view location, int64_t now_ms,
                                   int64_t delay_ms, bool authoritative) {
  const VersionView* v = nullptr;
  if (authoritative || r.cur.writer == location || is_propagated(r.cur, now_ms, delay_ms))
    v = &r.cur;
  else if (r.own && (r.own->writer == location || is_propagated(*r.own, now_ms, delay_ms)))
    v = &*r.own;
  else if (r.prev)
    v = &*r.prev;
  if (!v || is_dead(*v, now_ms)) return nullptr;
  return v;
}

const VersionView* stale_version(const RecordView& r, int64_t now_ms, int64_t delay_ms) {
  const VersionView* v = r.prev ? &*r.prev : is_propagated(r.cur, now_ms, delay_ms) ? &r.cur : nullptr;
  if (!v || is_dead(*v, now_ms)) return nullptr;
  return v;
}

Entry to_entry(const RecordView& r, const VersionView& v) {
  Entry e;
  e.value = std::string(v.value);
  if (!v.metadata.empty()) e.metadata = nlohmann::json::parse(v.metadata, nullptr, false);
  if (e.metadata.is_discarded()) e.metadata = nullptr;
  e.expiration = v.expiration;
  e.created_ms = r.created_ms;
  e.updated_ms = v.written_ms;
  e.location = std::string(v.writer);
  return e;
}

}  // namespace era::kv
