#pragma once
// era::client value types: the error, the Result alias, and the plain structs the typed calls
// take and return. No HTTP types here; everything is a copyable value.
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace era::client {

using json = nlohmann::json;

// A failed call. `status` is the HTTP status, or 0 when no response arrived at all (connection
// refused, timeout, reset); then `code` is "TRANSPORT" and `message` names the socket error.
// For an HTTP error, `code` and `message` come from the body's "code" and "error" fields, and
// `details` holds every other field of the body (e.g. "statement_index", "allowed").
struct Error {
  int status = 0;
  std::string code{};
  std::string message{};
  json details{};  // null when the body had nothing else

  // "404 KV_KEY_NOT_FOUND: Key not found" — short, for logs and test failure messages.
  std::string describe() const;
  bool is_transport() const { return status == 0; }
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// ---- connection ------------------------------------------------------------------------------

struct Config {
  std::string url = "http://127.0.0.1:8787";  // scheme://host:port, no path
  std::string token{};                          // sent as "Authorization: Bearer <token>" if set
  std::string location{};                       // sent as X-Era-Location if set (KV propagation)
  std::string client_tag{};                     // sent as X-Era-Client if set (scopes fault rules)
  std::chrono::milliseconds timeout{30000};   // connect, read and write timeout each

  // ERA_STORAGE_URL (default http://127.0.0.1:8787), ERA_EMU_TOKEN, ERA_LOCATION, ERA_CLIENT.
  static Config from_env();
};

// ---- KV --------------------------------------------------------------------------------------

struct KvPutOptions {
  json metadata{};                                  // null = none
  std::optional<std::chrono::seconds> expiration_ttl{};  // Cloudflare minimum: 60 s
  std::optional<int64_t> expiration{};              // absolute, epoch seconds
};

struct KvValue {
  std::string value{};
  json metadata{};                      // null when none
  std::optional<int64_t> expiration{};  // epoch seconds
};

struct KvKey {
  std::string name{};
  json metadata{};
  std::optional<int64_t> expiration{};
};

struct KvListOptions {
  std::string prefix{};
  std::optional<int> limit{};  // server default 100, max 1000
  std::string cursor{};        // from the previous page
};

struct KvPage {
  std::vector<KvKey> keys{};
  bool list_complete = true;
  std::string cursor{};  // empty when complete
};

// ---- R2 --------------------------------------------------------------------------------------

struct R2HttpMetadata {
  std::string content_type, content_language, content_disposition, content_encoding,
      cache_control, cache_expiry;  // empty = absent; cache_expiry is ISO-8601 / HTTP date
  json to_json() const;
  static R2HttpMetadata from_json(const json& j);
};

// Preconditions. On the JSON route they travel as `onlyIf`; on the binary route as If-* headers.
struct R2Conditions {
  std::string etag_matches{};          // If-Match ("*" = any object)
  std::string etag_does_not_match{};   // If-None-Match ("*" = only if absent)
  std::string uploaded_before{};       // If-Unmodified-Since, an HTTP date or ISO-8601
  std::string uploaded_after{};        // If-Modified-Since
  bool empty() const {
    return etag_matches.empty() && etag_does_not_match.empty() && uploaded_before.empty() &&
           uploaded_after.empty();
  }
};

struct R2PutOptions {
  std::map<std::string, std::string> custom_metadata{};
  R2HttpMetadata http_metadata{};
  R2Conditions only_if{};
  std::string sha256{};  // hex; the server verifies it (binary route: X-Era-Checksum-Sha256)
};

// bytes=offset-(offset+length-1), bytes=offset-, or bytes=-suffix.
struct R2Range {
  std::optional<uint64_t> offset{}, length{}, suffix{};
  std::string header() const;
};

struct R2GetOptions {
  std::optional<R2Range> range{};
  R2Conditions only_if{};
};

struct R2Object {
  std::string key{};
  uint64_t size = 0;
  std::string etag{};      // unquoted MD5 hex (multipart: "<hex>-<n>")
  std::string version{};
  std::string uploaded{};  // as the server reported it (ISO-8601 on JSON routes)
  R2HttpMetadata http_metadata{};
  std::map<std::string, std::string> custom_metadata{};
  // Filled by get/get_raw only:
  std::string body{};
  int status = 200;            // 200 whole object, 206 range, 304 not modified (body empty)
  std::string content_range{};   // "bytes a-b/size" on 206
};

struct R2ListOptions {
  std::string prefix{}, delimiter{}, cursor{}, start_after{};
  std::optional<int> limit{};  // server default 100, max 1000
};

struct R2Page {
  std::vector<R2Object> objects{};  // body empty
  bool truncated = false;
  std::string cursor{};
  std::vector<std::string> delimited_prefixes{};
};

// What a signed URL allows (POST /api/signed-urls). The URL needs no bearer token.
struct SignUrlOptions {
  std::string method = "GET";                 // "GET" (HEAD too) or "PUT"
  int64_t expires_in = 3600;                  // seconds of the emulator's clock, 1..604800
  bool one_time = false;                      // works for exactly one request
  std::optional<std::string> content_type{};  // PUT only: the upload must send this Content-Type
  std::optional<uint64_t> max_bytes{};        // PUT only: larger bodies are refused (403)
};

struct SignedUrl {
  std::string url{};
  std::string method{};      // "GET" | "PUT"
  std::string expires_at{};  // ISO-8601 with milliseconds
  int64_t expires_ms = 0;    // usable while the emulator's clock is before this
  bool one_time = false;
  std::map<std::string, std::string> headers{};  // to send with the upload (Content-Type)
};

// ---- D1 --------------------------------------------------------------------------------------

struct D1Statement {
  std::string sql{};
  json params = json::array();
};

struct D1Result {
  json results = json::array();  // array of row objects (empty for exec)
  json meta = json::object();    // changes, last_row_id, duration, rows_read, ...
};

// ---- control ---------------------------------------------------------------------------------

struct ClockState {
  int64_t now_ms = 0;
  std::string now{};   // ISO-8601
  std::string mode{};  // "real" | "frozen" | "offset"
};

// What a fault rule does when it fires. Build with the named constructors.
struct FaultAction {
  std::string type{};  // error|throttle|latency|timeout|reset|truncate|stale|lost_ack|ok
  json fields = json::object();  // status, code, message, ms, jitter_ms, hold_ms, after_bytes
  json to_json() const;

  static FaultAction error(int status, std::string code = {}, std::string message = {});
  static FaultAction throttle();
  static FaultAction latency(std::chrono::milliseconds ms, std::chrono::milliseconds jitter = {});
  static FaultAction timeout(std::chrono::milliseconds hold);
  static FaultAction reset();
  static FaultAction truncate(uint64_t after_bytes);
  static FaultAction stale();
  static FaultAction lost_ack();
  static FaultAction ok();
};

// match + action (or sequence) + schedule. Empty strings / unset optionals are not sent, so
// the server's defaults apply (service "*", op "*", probability 1, unlimited times).
struct FaultRule {
  std::string service{}, op{}, ns{}, key{}, location{}, client{};  // ns and key are globs
  std::optional<FaultAction> action{};
  std::vector<FaultAction> sequence{};
  std::optional<double> probability{};
  std::optional<uint64_t> seed{};
  std::optional<int64_t> after{}, times{};
  json extra = json::object();  // anything else, merged in verbatim (e.g. "active_for")
  json to_json() const;
};

struct Fault {
  std::string id{};
  json rule{};  // the stored rule as the server reports it
  int64_t matched = 0, fired = 0;
  std::optional<int64_t> remaining{};  // nullopt = unlimited
};

struct ResetOptions {
  std::string service{};  // "" = all services
  std::string ns{};       // "" = all namespaces
  bool keep_faults = false;
  bool keep_clock = false;
};

struct SnapshotInfo {
  std::string name{}, created{};
  uint64_t bytes = 0;
};

struct Event {
  int64_t seq = 0;
  std::string time{}, service{}, op{}, ns{}, key{};
  int status = 0;
  double duration_ms = 0;
  json fault{};  // null when no fault fired
};

struct EventPage {
  std::vector<Event> events{};
  int64_t next = 0;  // pass as `since` to get only newer events
};

// Authoritative state read through /_emu/inspect (no faults, no propagation delay).
struct KvEntry {
  std::string key{}, value{};
  json metadata{};
  std::optional<int64_t> expiration{};  // epoch seconds
};

struct D1Table {
  std::string name{}, sql{};
  json columns = json::array();
};

}  // namespace era::client
