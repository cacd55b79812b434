#pragma once
// The stored form of one KV key and the visibility rule that decides what a reader sees.
//
// A record keeps up to three versions so that eventual consistency is answered from it alone:
//   cur  — the latest write (a value or a tombstone), when and where it was written;
//   own  — an older write overwritten before it had propagated (optional);
//   prev — what every other location still sees until `cur` has propagated (absent = a miss).
// A reader at location L at time t sees `cur` if it is authoritative, the delay is 0, L wrote
// `cur`, or t >= cur.written_ms + delay; else `own` if L wrote it or it has propagated; otherwise
// `prev`. A tombstone or an expired version (t >= expiration * 1000) reads as a miss.
//
// Encoding v2 (little-endian, host order — the data dir is not portable across endianness):
//   [u8 2][i64 created_ms][u8 flags(1=prev, 2=own)] version(cur) [version(prev)] [version(own)]
//   version = [u8 flags(1=tombstone, 2=everywhere)][i64 written_ms][i64 expiration_s]
//             [u16 writer_len][u32 meta_len][u32 value_len] writer meta value
//
// Sealed (encrypted at rest, issue 8): [u8 3] nonce | AES-256-GCM(the whole v2 encoding) | tag,
// with associated data "era-kv\0" + stored key (namespace \0 key), so a record copied under
// another key or namespace fails to open. Values, metadata, timestamps, expiration and writer
// are all inside; only the key stays readable (lists run in key order). Both forms are read, so a
// namespace that turns encryption on keeps its older plaintext records readable.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/aead.h"
#include "core/result.h"

namespace era::kv {

// What a read returns: one version, decoded and owned.
struct Entry {
  std::string value;
  nlohmann::json metadata;  // null when none
  int64_t expiration = 0;   // absolute seconds since epoch, 0 = none
  int64_t created_ms = 0;   // first write of the key's current life
  int64_t updated_ms = 0;   // when this version was written
  std::string location;     // where this version was written
  // How this read was served, as Workers' getWithMetadata reports it: "HIT" from the location's
  // edge cache, "MISS" read through to storage, "STALE" by the stale fault; null when the
  // namespace is strongly consistent (no edge cache) or for authoritative reads.
  const char* cache_status = nullptr;
};

// A view into stored bytes; valid while the bytes are.
struct VersionView {
  bool tombstone = false;
  bool everywhere = false;    // visible at every location at once (seeded fixtures)
  int64_t written_ms = 0;
  int64_t expiration = 0;     // seconds, 0 = none
  std::string_view writer;    // location that wrote it
  std::string_view metadata;  // serialized JSON, empty = none
  std::string_view value;
};

struct RecordView {
  int64_t created_ms = 0;
  VersionView cur;
  std::optional<VersionView> prev;  // what other locations see until cur propagates
  // An older write overwritten before it had propagated: seen at its own location at once and
  // elsewhere once it propagates, until cur does (so a location never loses its own write).
  std::optional<VersionView> own;
};

inline bool is_expired(int64_t expiration_s, int64_t now_ms) {
  return expiration_s != 0 && expiration_s * 1000 <= now_ms;
}

// True when a version is a miss at now (tombstone or expired).
inline bool is_dead(const VersionView& v, int64_t now_ms) {
  return v.tombstone || is_expired(v.expiration, now_ms);
}

// True once `v` is visible everywhere. delay 0 = at once.
inline bool is_propagated(const VersionView& v, int64_t now_ms, int64_t delay_ms) {
  return v.everywhere || delay_ms <= 0 || now_ms - v.written_ms >= delay_ms;
}

std::string encode_record(int64_t created_ms, const VersionView& cur, const VersionView* prev,
                          const VersionView* own = nullptr);
std::optional<RecordView> decode_record(std::string_view bytes);

// True when `bytes` is a sealed record (its first byte says so; nothing is authenticated yet).
bool is_sealed_record(std::string_view bytes);
// Seals an encoded record for the stored key `skey`.
std::string seal_record(const core::Aead& aead, std::string_view skey, std::string_view encoded);
// The encoded record inside a sealed one; DATA_CORRUPTED when it fails authentication.
Result<std::string> open_record(const core::Aead& aead, std::string_view skey, std::string_view sealed);

// The version a reader sees, or nullptr for a miss (absent, tombstone or expired).
// `authoritative` ignores propagation (the control plane's inspect view).
const VersionView* visible_version(const RecordView& r, std::string_view location, int64_t now_ms,
                                   int64_t delay_ms, bool authoritative);
// What a stale edge serves (the `stale` fault): the previous version when there is one, else the
// current one if it has propagated, else a miss.
const VersionView* stale_version(const RecordView& r, int64_t now_ms, int64_t delay_ms);

Entry to_entry(const RecordView& r, const VersionView& v);

}  // namespace era::kv
