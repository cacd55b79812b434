#pragma once
// R2 semantics over the LMDB `r2` table (metadata) and the BlobStore (bodies).
//
// Storage: stored key = bucket \0 key → encoded ObjectMeta; the body is an immutable blob named by
// a generated id. Strong consistency comes from ordering:
//   1. the body streams into a temp blob (BodyWriter) while MD5 (and requested digests) run;
//   2. the blob is renamed into place;
//   3. one LMDB write transaction reads the current record, evaluates the conditional, and
//      swaps in the new record (so two racing conditional puts cannot both win);
//   4. only after commit is the replaced blob unlinked — a reader that already opened it keeps
//      reading the old, complete body.
// A crash between 2 and 3 leaves an orphan blob that sweep_orphans() removes at start.
// A small plain body (EngineOptions::inline_body_bytes) skips 1, 2 and 4: it stays in memory and
// is written inside the record in step 3, so it commits (or not) with its metadata; a reader
// holds its own copy. Everything else about such an object is the same.
//
// Multipart uploads live in the `uploads` table (key "r2\0" + upload id, a JSON record listing
// part blobs). complete() concatenates the parts into one new blob (streaming copy), so reads
// and ranges never care how an object was uploaded. Abandoned uploads expire after
// Options::upload_ttl_ms of clock time, collected by sweep(now).
//
// Declared buckets (era-emu.json, issue 8) add per-bucket rules, set at start with
// set_bucket_options(): lifecycle (an object whose uploaded_ms + delete_after_ms <= now is gone
// for get, head and list at once; sweep() then deletes it and its blob), a multipart expiry that
// replaces upload_ttl_ms, and a smaller object-size limit (413 R2_ENTITY_TOO_LARGE).
//
// Threads: every method may be called from any thread; each runs its own LMDB transactions.
// Failures come back as era::Error in R2's wording (r2/errors.h); storage failures as STORE_IO.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/aead.h"
#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"
#include "r2/conditional.h"
#include "r2/object.h"
#include "r2/range.h"

namespace era::store { class Lmdb; class BlobStore; }

namespace era::r2 {

struct EngineOptions {
  uint64_t max_put_bytes = 5368709120ull - 5242880ull;  // 5 GiB - 5 MiB, also the part maximum
  uint64_t min_part_bytes = 5242880;                    // 5 MiB for every non-trailing part
  uint32_t max_parts = 10000;
  int64_t upload_ttl_ms = int64_t(7) * 24 * 3600 * 1000;  // abandoned multipart uploads
  // A plain (unsealed) body of at most this many bytes, stored by put(), lives inside its LMDB
  // record instead of a blob file: creating and unlinking a file per small object cost more
  // than the whole rest of a put (issue 19), and the body then commits in the same transaction
  // as its metadata. 0: every body is a file. Parts and multipart objects are always files.
  uint64_t inline_body_bytes = 4096;
};

// Per-bucket rules; unset fields mean no rule / the engine-wide default.
struct BucketOptions {
  std::optional<int64_t> delete_after_ms;    // lifecycle: gone once uploaded_ms + this <= now
  std::optional<int64_t> upload_ttl_ms;      // replaces EngineOptions::upload_ttl_ms
  std::optional<uint64_t> max_object_bytes;  // effective limit: min(this, max_put_bytes)
};

// Streams a request body to a temp blob, computing digests on the way. Dropping it without
// handing it to put()/upload_part() deletes the temp file (nothing is stored).
class BodyWriter {
 public:
  struct Impl;
  explicit BodyWriter(std::unique_ptr<Impl> impl);
  BodyWriter(BodyWriter&&) noexcept;
  ~BodyWriter();
  // R2_ENTITY_TOO_LARGE once the total passes the limit (stop reading then); STORE_IO on disk errors.
  Status write(const char* data, size_t n);
  uint64_t size() const;

 private:
  friend class Engine;
  std::unique_ptr<Impl> impl_;
};

// An open, immutable object body. Safe to read from any thread while the object is replaced.
class Body {
 public:
  struct Impl;
  explicit Body(std::unique_ptr<Impl> impl);
  ~Body();
  uint64_t size() const;
  // Up to n bytes at offset; 0 at the end.
  Result<size_t> read_at(uint64_t offset, char* buf, size_t n) const;

 private:
  std::unique_ptr<Impl> impl_;
};

struct PutOptions {
  HttpMetadata http;
  CustomMetadata custom;
  Checksums expected;  // raw digests the client supplied; verified against the body (BadDigest)
  Conditional only_if;
};

struct GetOptions {
  Conditional only_if;
  std::optional<RangeSpec> range;
  bool body = true;  // false for HEAD: no blob is opened
};

struct GetResult {
  ObjectMeta meta;
  CondResult cond = CondResult::pass;  // when not pass, no body and no range
  std::optional<ByteRange> range;      // set when a range was asked for and satisfiable
  std::shared_ptr<Body> body;
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  std::string cursor;       // opaque, from a previous ListResult
  std::string start_after;  // keys strictly after this
  int limit = 1000;
};

struct ListResult {
  std::vector<ObjectMeta> objects;
  std::vector<std::string> delimited_prefixes;
  bool truncated = false;
  std::string cursor;  // set only when truncated
};

struct PartRef {
  uint32_t number = 0;
  std::string etag;  // quoted or not
};

struct UploadedPart {
  uint32_t number = 0;
  std::string etag;  // MD5 hex of the part
  uint64_t size = 0;
  int64_t uploaded_ms = 0;  // clock time of the part's upload (0 for records older than this field)
};

struct UploadInfo {
  std::string key;
  std::string upload_id;
  int64_t created_ms = 0;
};

// A bucket as S3's bucket operations see it (r2/buckets.cpp).
struct BucketInfo {
  std::string name;
  int64_t created_ms = 0;  // CreateBucket time, or the first object's upload time when implicit
};

// What read_into() streams from a source object (CopyObject, UploadPartCopy).
struct CopySource {
  std::string bucket, key;
  Conditional only_if;             // x-amz-copy-source-if-*: any failure is R2_PRECONDITION_FAILED
  std::optional<RangeSpec> range;  // x-amz-copy-source-range
};

class Engine {
 public:
  using Options = EngineOptions;
  Engine(store::Lmdb& db, store::BlobStore& blobs, Options opts = {});
  ~Engine();
  const Options& options() const { return opts_; }

  // Validation that needs no body: bucket, key, metadata size. Call before reading a body.
  Status check_put(std::string_view bucket, std::string_view key, const PutOptions& opts) const;

  // A writer for one body (limit: max_put_bytes, also for parts). Digests other than MD5 run
  // only when `expected` names them.
  // The body is for `bucket`: when the bucket encrypts, it is sealed as it streams to disk, and
  // put()/upload_part() then need the same bucket (INTERNAL otherwise).
  Result<BodyWriter> begin_body(std::string_view bucket, const Checksums& expected = {});

  // Stores the body under bucket/key. R2_PRECONDITION_FAILED when only_if fails (nothing
  // stored); R2_BAD_DIGEST when a supplied checksum differs.
  Result<ObjectMeta> put(const OpContext& ctx, std::string_view bucket, std::string_view key,
                         BodyWriter&& body, const PutOptions& opts);
  Result<ObjectMeta> put_bytes(const OpContext& ctx, std::string_view bucket, std::string_view key,
                               std::string_view data, const PutOptions& opts);

  // nullopt when missing. A failed conditional is a result (cond != pass), not an error; an
  // unsatisfiable range is R2_INVALID_RANGE.
  Result<std::optional<GetResult>> get(const OpContext& ctx, std::string_view bucket,
                                       std::string_view key, const GetOptions& opts);
  // Deleting a missing key succeeds.
  Status del(const OpContext& ctx, std::string_view bucket, std::string_view key);
  // Exact UTF-8 byte order; delimiter groups are S3-style (prefix incl. delimiter) and count
  // toward limit. R2_INVALID_LIMIT / R2_INVALID_CURSOR on bad options.
  Result<ListResult> list(const OpContext& ctx, std::string_view bucket, const ListOptions& opts);

  // Multipart (S3 style). Unknown, aborted, completed or expired ids are R2_NO_SUCH_UPLOAD;
  // an upload expires upload_ttl_ms after creation (clock time) and is missing from then on.
  Result<std::string> create_multipart(const OpContext& ctx, std::string_view bucket,
                                       std::string_view key, const HttpMetadata& http,
                                       const CustomMetadata& custom);
  // Cheap existence check so a handler can refuse before streaming a part.
  Status check_upload(const OpContext& ctx, std::string_view bucket, std::string_view key, std::string_view upload_id,
                      uint32_t part_number);
  Result<UploadedPart> upload_part(const OpContext& ctx, std::string_view bucket,
                                   std::string_view key, std::string_view upload_id,
                                   uint32_t part_number, BodyWriter&& body,
                                   const Checksums& expected = {});  // BadDigest, like put()
  // `allow_empty`: no parts makes a 0-byte object (the Workers binding) instead of the S3 error.
  Result<ObjectMeta> complete_multipart(const OpContext& ctx, std::string_view bucket,
                                        std::string_view key, std::string_view upload_id,
                                        const std::vector<PartRef>& parts, bool allow_empty = false);
  Status abort_multipart(const OpContext& ctx, std::string_view bucket, std::string_view key,
                         std::string_view upload_id);

  // Every live upload of `bucket` whose key starts with `prefix`, in key order, then creation
  // time (ListMultipartUploads).
  Result<std::vector<UploadInfo>> list_uploads(const OpContext& ctx, std::string_view bucket,
                                               std::string_view prefix);
  // The parts uploaded so far, by part number (ListParts). R2_NO_SUCH_UPLOAD like the others.
  Result<std::vector<UploadedPart>> list_parts(const OpContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id);

  // Streams the source object (or its range) into `w` — a writer from begin_body() for the
  // destination bucket — and returns the source's metadata. Missing: R2_OBJECT_NOT_FOUND; a
  // failed condition: R2_PRECONDITION_FAILED; a bad range: R2_INVALID_RANGE. The caller then
  // hands `w` to put() or upload_part(): a copy is an ordinary write of the same bytes, so an
  // encrypted destination seals them and the etag is the MD5 of what was written.
  Result<ObjectMeta> read_into(const OpContext& ctx, const CopySource& src, BodyWriter& w);

  // Buckets (r2/buckets.cpp). A bucket exists when it was created here, or holds an object or an
  // upload (the other R2 routes create buckets by writing to them). Records live in the sys
  // table and are configuration: clear() (reset) empties buckets but keeps them.
  // create_bucket: false when it already existed (created or implicit).
  Result<bool> create_bucket(const OpContext& ctx, std::string_view bucket);
  Result<bool> bucket_exists(std::string_view bucket);
  // S3_BUCKET_NOT_EMPTY while it holds objects or uploads; S3_NO_SUCH_BUCKET when missing.
  Status delete_bucket(const OpContext& ctx, std::string_view bucket);
  // Created and implicit buckets, by name.
  Result<std::vector<BucketInfo>> list_buckets();
  // A named configuration document of a bucket ("cors", "lifecycle"), stored as given: null
  // when none. Setting one on a bucket with no record creates the record.
  Result<nlohmann::json> bucket_config(std::string_view bucket, std::string_view name);
  Status set_bucket_config(const OpContext& ctx, std::string_view bucket, std::string_view name,
                           const nlohmann::json& value);  // null removes it

  // Lifecycle rules set through S3 (PutBucketLifecycleConfiguration), bucket-wide: each rule
  // {"id", "enabled", "expireDays"?, "abortDays"?}. Stored in the bucket record (they survive
  // restarts and resets) and, while enabled, they override the declared deleteAfterDays /
  // abortMultipartAfterDays: the shortest enabled expiry wins. An empty array removes them.
  Status set_bucket_lifecycle(const OpContext& ctx, std::string_view bucket, const nlohmann::json& rules);
  // Start-up: applies every stored lifecycle (call once after opening).
  Status load_bucket_lifecycles();

  // Declared per-bucket rules (r2/lifecycle.cpp). Set before serving or at any time; they are
  // configuration and survive clear().
  void set_bucket_options(std::string_view bucket, BucketOptions opts);
  BucketOptions bucket_options(std::string_view bucket) const;
  // The largest object `bucket` accepts (single put or completed multipart).
  uint64_t max_object_bytes(std::string_view bucket) const;

  // Encryption at rest (r2/sealing.cpp, issue 8): from now on `bucket` seals new bodies, parts
  // and metadata with `aead` and opens sealed ones with it; nullptr turns sealing off (sealed
  // objects then fail to read with ENCRYPTION_SECRET_MISSING). Plain objects stay readable.
  // Configuration: survives clear(). Set at start, before serving; thread-safe.
  void set_bucket_cipher(std::string_view bucket, std::shared_ptr<const core::Aead> aead);
  std::shared_ptr<const core::Aead> bucket_cipher(std::string_view bucket) const;

  // Start-up: removes blobs no object or upload points at, and temp files. Returns how many.
  Result<size_t> sweep_orphans();
  // Expires multipart uploads older than their bucket's upload TTL and deletes objects past
  // their bucket's lifecycle (reclaiming blobs). Returns how many uploads and objects went.
  Result<size_t> sweep(int64_t now_ms);
  // Drops every object and upload of one bucket (all buckets when empty): rows first, then blobs.
  Result<size_t> clear(std::string_view ns);
  // Every object as Resource{type "r2", ns=bucket, key, size, metadata=customMetadata}.
  Status list_resources(const OpContext& ctx, const ResourceFilter& filter,
                        const std::function<void(Resource&&)>& out);

 private:
  // Flushes and digests the body; the MD5 hex. With `inline_body`, a small plain body that never
  // reached the disk is moved there instead (set only then; the writer has no blob): put() only —
  // parts and copies into parts always become files.
  Result<std::string> finish_body(BodyWriter& body, const Checksums& expected, Checksums& got,
                                  std::optional<std::string>* inline_body = nullptr);
  // Sealing (r2/sealing.cpp): seals m's metadata when `bucket` encrypts and the body was sealed;
  // opens a sealed record's metadata; opens a body (decrypting when m.sealed), authenticating
  // the chunk at `first_offset` before returning.
  Status check_body_bucket(const BodyWriter& body, std::string_view bucket) const;
  void seal_meta(std::string_view bucket, ObjectMeta& m, bool body_sealed) const;
  Status open_meta(std::string_view bucket, ObjectMeta& m) const;
  Result<std::shared_ptr<Body>> open_body(std::string_view bucket, const ObjectMeta& m,
                                          uint64_t first_offset) const;
  // Lifecycle: objects of `bucket` uploaded at or before this instant are gone (nullopt: no rule).
  std::optional<int64_t> expired_before(std::string_view bucket, int64_t now_ms) const;
  bool is_expired(std::string_view bucket, const ObjectMeta& m, int64_t now_ms) const;
  int64_t upload_ttl_ms(std::string_view bucket) const;
  Result<size_t> sweep_lifecycle(int64_t now_ms);

  store::Lmdb& db_;
  store::BlobStore& blobs_;
  Options opts_;
  // Held shared from "blob renamed into place" to "record committed"; clear() takes it
  // exclusively so it never removes a blob whose record is about to appear.
  std::shared_mutex clear_mu_;
  mutable std::shared_mutex bucket_mu_;
  std::map<std::string, BucketOptions, std::less<>> bucket_opts_;   // declared
  std::map<std::string, BucketOptions, std::less<>> lifecycle_opts_;  // set through S3: override
  core::CipherTable ciphers_;
};

}  // namespace era::r2
