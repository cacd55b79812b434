#pragma once
// era::client::Client — a typed client for era-emu (and the ERA storage proxy) over cpp-httplib.
//
//   era::client::Client c({.url = emu.url()});
//   auto kv = c.kv("app");
//   if (auto st = kv.put("user:1", "ada", {.expiration_ttl = std::chrono::seconds(120)}); !st)
//     std::cerr << st.error().describe();
//   std::optional<std::string> v = kv.get("user:1").value();
//
// Every call returns Result<T> (std::expected<T, Error>); nothing throws for a failed request.
// "Not found" on a read is a value (std::nullopt), not an error. Keys are percent-encoded
// (everything but unreserved characters and '/'), so any key round-trips.
//
// Threading: a Client holds one keep-alive connection and serializes calls made on it; the
// handles (KvNamespace, R2Bucket, D1Database, Control) point into their Client, which must
// outlive them. Use one Client per thread for parallel requests.
#include <filesystem>
#include <memory>
#include <string>

#include "era/client/types.h"

namespace era::client {

class Client;

// KV through the ERA routes /api/storage/kv/{ns}[/{key}].
class KvNamespace {
 public:
  // nullopt when the key is missing or expired (at this client's location).
  Result<std::optional<std::string>> get(const std::string& key) const;
  // Value plus metadata and expiration (?metadata=true).
  Result<std::optional<KvValue>> get_with_metadata(const std::string& key) const;
  Status put(const std::string& key, const std::string& value, const KvPutOptions& opts = {}) const;
  Status del(const std::string& key) const;  // succeeds when the key is missing
  Result<KvPage> list(const KvListOptions& opts = {}) const;
  // Follows cursors until list_complete; page_size is each request's limit.
  Result<std::vector<KvKey>> list_all(const std::string& prefix = {}, int page_size = 1000) const;
  const std::string& name() const { return ns_; }

 private:
  friend class Client;
  KvNamespace(Client& c, std::string ns) : c_(&c), ns_(std::move(ns)) {}
  Client* c_;
  std::string ns_;
};

// R2: the ERA JSON routes /api/storage/r2/{ns}[/{key}] (base64 bodies, whole objects) and the
// binary routes /api/r2/{bucket}/{key} (raw bodies, streaming, ranges, If-* headers).
class R2Bucket {
 public:
  // JSON route. only_if travels as "onlyIf"; a failed precondition is a 412 Error.
  Result<R2Object> put(const std::string& key, const std::string& bytes,
                       const R2PutOptions& opts = {}) const;
  Result<std::optional<R2Object>> get(const std::string& key) const;
  Status del(const std::string& key) const;  // succeeds when the object is missing
  Result<R2Page> list(const R2ListOptions& opts = {}) const;
  Result<std::vector<R2Object>> list_all(const std::string& prefix = {}) const;

  // Binary route. put_file streams the file from disk (never loads it whole).
  Result<R2Object> put_raw(const std::string& key, const std::string& bytes,
                           const R2PutOptions& opts = {}) const;
  Result<R2Object> put_file(const std::string& key, const std::filesystem::path& file,
                            const R2PutOptions& opts = {}) const;
  // nullopt when missing. A range gives status 206 and content_range; a matching
  // If-None-Match / If-Modified-Since gives status 304 with an empty body; a failed
  // If-Match / If-Unmodified-Since is a 412 Error; an unsatisfiable range a 416 Error.
  Result<std::optional<R2Object>> get_raw(const std::string& key, const R2GetOptions& opts = {}) const;
  // Streams the body into `file` (written to "<file>.part", renamed on success). Returns the
  // object's metadata (body empty); nullopt when missing (no file written).
  Result<std::optional<R2Object>> get_file(const std::string& key, const std::filesystem::path& file,
                                           const R2GetOptions& opts = {}) const;
  Result<std::optional<R2Object>> head(const std::string& key) const;
  Status del_raw(const std::string& key) const;
  // A signed (optionally one-time) GET or PUT URL for one object, from POST /api/signed-urls.
  // An invalid request (method, expires_in out of 1..604800, constraints on a GET) is a 400 Error.
  Result<SignedUrl> sign_url(const std::string& key, const SignUrlOptions& opts = {}) const;
  const std::string& name() const { return ns_; }

 private:
  friend class Client;
  R2Bucket(Client& c, std::string ns) : c_(&c), ns_(std::move(ns)) {}
  Client* c_;
  std::string ns_;
};

// D1 through /api/storage/d1/{ns}/{query|exec|batch}. SQL errors are Errors with code
// D1_SQL_ERROR (or D1_TYPE_ERROR, ...); details carry statement_index for a batch.
class D1Database {
 public:
  Result<D1Result> query(const std::string& sql, const json& params = json::array()) const;
  Result<json> exec(const std::string& sql, const json& params = json::array()) const;  // meta
  // All-or-nothing in one transaction.
  Result<std::vector<D1Result>> batch(const std::vector<D1Statement>& statements) const;
  // The first row, or nullopt when the query returns none.
  Result<std::optional<json>> first(const std::string& sql, const json& params = json::array()) const;
  const std::string& name() const { return ns_; }

 private:
  friend class Client;
  D1Database(Client& c, std::string ns) : c_(&c), ns_(std::move(ns)) {}
  Client* c_;
  std::string ns_;
};

// The /_emu control API: clock, faults, reset, snapshots, seed, inspect, events.
class Control {
 public:
  Result<json> health() const;

  Result<ClockState> time() const;
  Result<ClockState> freeze() const;
  Result<ClockState> resume() const;
  Result<ClockState> advance(std::chrono::milliseconds by) const;
  Result<ClockState> set_time(const std::string& iso8601) const;
  Result<ClockState> set_time_ms(int64_t epoch_ms) const;
  Result<ClockState> reset_clock() const;  // back to real time

  Result<Fault> add_fault(const FaultRule& rule) const;
  Result<Fault> add_fault(const json& rule) const;  // any rule document, sent verbatim
  Result<std::vector<Fault>> faults() const;
  Status remove_fault(const std::string& id) const;
  Status clear_faults() const;

  Status reset(const ResetOptions& opts = {}) const;

  Status save_snapshot(const std::string& name) const;
  Result<std::vector<SnapshotInfo>> snapshots() const;
  Status restore_snapshot(const std::string& name) const;
  Status delete_snapshot(const std::string& name) const;

  // A fixture document (see docs/control-api.md). seed_file reads the file and inlines R2
  // {"file": "relative/path"} entries as base64 (paths relative to the document), so it also
  // works against a remote emulator.
  Result<json> seed(const json& document) const;
  Result<json> seed_file(const std::filesystem::path& file) const;

  Result<std::vector<KvEntry>> kv_entries(const std::string& ns) const;
  Result<std::optional<KvEntry>> kv_entry(const std::string& ns, const std::string& key) const;
  Result<std::vector<R2Object>> r2_objects(const std::string& ns) const;
  Result<std::optional<R2Object>> r2_object(const std::string& ns, const std::string& key,
                                            bool with_body = false) const;
  Result<std::vector<D1Table>> d1_tables(const std::string& ns) const;
  Result<json> d1_rows(const std::string& ns, const std::string& table) const;  // array of rows
  // A read-only query (array of rows); no fault rule applies and no event is recorded.
  Result<json> d1_query(const std::string& ns, const std::string& sql,
                        const json& params = json::array()) const;

  Result<EventPage> events(int64_t since = 0) const;

 private:
  friend class Client;
  explicit Control(Client& c) : c_(&c) {}
  Client* c_;
};

class Client {
 public:
  explicit Client(Config config = Config::from_env());
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  KvNamespace kv(std::string ns) { return KvNamespace(*this, std::move(ns)); }
  R2Bucket r2(std::string bucket) { return R2Bucket(*this, std::move(bucket)); }
  D1Database d1(std::string ns) { return D1Database(*this, std::move(ns)); }
  Control control() { return Control(*this); }

  const Config& config() const;

  struct Impl;  // the transport (sdk/cpp/src/transport.h)
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes all but unreserved characters (A-Z a-z 0-9 - . _ ~) and '/'.
std::string encode_key(std::string_view key);
// Percent-encodes all but unreserved characters (for query values and single path segments).
std::string encode_component(std::string_view s);

}  // namespace era::client
