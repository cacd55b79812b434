#pragma once
// Views of one namespace's authoritative state, read through the control API's inspect routes
// (no faults, no propagation delay), plus writes through the ordinary ERA routes.
//
// A view is a cheap handle (client pointer + namespace): every call asks the emulator again,
// so a view taken before a write sees the write. The owning testkit::Emulator must outlive it.
// Calls throw testkit::Failure when the emulator rejects the call or cannot be reached.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "era/client.h"

namespace era::testkit {

// A control or storage call failed. what() is the Error's describe() with the call named.
class Failure : public std::runtime_error {
 public:
  Failure(const std::string& call, client::Error e);
  const client::Error& error() const { return error_; }

 private:
  client::Error error_;
};

// Unwraps a client Result or throws Failure naming `call`.
template <class T>
T unwrap(std::expected<T, client::Error> r, const char* call) {
  if (!r) throw Failure(call, std::move(r.error()));
  return std::move(*r);
}
inline void unwrap(std::expected<void, client::Error> r, const char* call) {
  if (!r) throw Failure(call, std::move(r.error()));
}

class KvView {
 public:
  KvView(client::Client& c, std::string ns) : c_(&c), ns_(std::move(ns)) {}
  const std::string& ns() const { return ns_; }

  std::vector<client::KvEntry> entries() const;             // every live entry, key order
  std::optional<client::KvEntry> get(const std::string& key) const;
  bool contains(const std::string& key) const { return get(key).has_value(); }
  size_t size() const { return entries().size(); }
  // "kv app: a=1 b=2[exp=+120s] c={"x":1}[meta={"m":1}]" — expirations relative to the
  // virtual clock; long values shortened. "kv app: (empty)" when there is nothing.
  std::string dump() const;
  int64_t now_ms() const;  // the emulator's virtual clock, for expirations

  // Writes go through the ERA API, exactly as application code would.
  void put(const std::string& key, const std::string& value, const client::KvPutOptions& o = {}) const;
  void del(const std::string& key) const;

 private:
  client::Client* c_;
  std::string ns_;
};

class R2View {
 public:
  R2View(client::Client& c, std::string ns) : c_(&c), ns_(std::move(ns)) {}
  const std::string& ns() const { return ns_; }

  std::vector<client::R2Object> objects() const;  // metadata only, key order
  // With the body (base64 through inspect) unless with_body is false.
  std::optional<client::R2Object> get(const std::string& key, bool with_body = true) const;
  bool contains(const std::string& key) const { return get(key, false).has_value(); }
  size_t size() const { return objects().size(); }
  // "r2 files: a.txt(5 B, text/plain) b.bin(3 B)[meta owner=ada]"
  std::string dump() const;

  void put(const std::string& key, const std::string& bytes, const client::R2PutOptions& o = {}) const;
  void del(const std::string& key) const;

 private:
  client::Client* c_;
  std::string ns_;
};

class D1View {
 public:
  D1View(client::Client& c, std::string ns) : c_(&c), ns_(std::move(ns)) {}
  const std::string& ns() const { return ns_; }

  std::vector<client::D1Table> tables() const;
  bool has_table(const std::string& table) const;
  nlohmann::json rows(const std::string& table) const;  // array of row objects
  // Runs a read-only query through /_emu/inspect (no fault rule applies, no event is recorded;
  // a statement that would write is refused — use exec) and returns the result rows.
  nlohmann::json query(const std::string& sql, const nlohmann::json& params = nlohmann::json::array()) const;
  void exec(const std::string& sql, const nlohmann::json& params = nlohmann::json::array()) const;
  // "d1 db: users(2 rows) posts(0 rows)"
  std::string dump() const;
  // "d1 db.users: {"id":1,"name":"ada"} {"id":2,"name":"bob"}"
  std::string dump(const std::string& table) const;

 private:
  client::Client* c_;
  std::string ns_;
};

}  // namespace era::testkit
