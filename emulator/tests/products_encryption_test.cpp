// Encryption at rest for declared KV stores and buckets (issue 8), through real HTTP: round trip,
// the plaintext-grep test over the whole data directory (with a control store that must show
// the plaintext, so the test can fail), tampering, restarts with a wrong or missing secret.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "products_support.h"
#include "store/lmdb.h"
#include "store/paths.h"

using namespace era;
using namespace era::test;
namespace fs = std::filesystem;

namespace {

constexpr size_t kMiB = 1024 * 1024;

// An environment variable set for the test's lifetime.
struct EnvVar {
  std::string name;
  EnvVar(std::string n, const std::string& value) : name(std::move(n)) { ::setenv(name.c_str(), value.c_str(), 1); }
  ~EnvVar() { ::unsetenv(name.c_str()); }
};

// era-emu.json: bucket "vault" (env secret) and kv "secrets" (file secret) encrypted; "plain"
// and "open" are the unencrypted controls.
std::string write_config(const fs::path& dir, const std::string& env_name, bool encrypt = true) {
  write_file(dir / "keys" / "kv.key", "0123456789abcdef0123456789abcdef\n");
  json enc_r2 = {{"secret", "env:" + env_name}};
  json enc_kv = {{"secret", "file:keys/kv.key"}};
  json cfg = {{"buckets", json::array({{{"name", "plain"}}})}, {"kv", json::array({{{"name", "open"}}})}};
  json vault = {{"name", "vault"}}, secrets = {{"name", "secrets"}};
  if (encrypt) {
    vault["encryption"] = enc_r2;
    secrets["encryption"] = enc_kv;
  }
  cfg["buckets"].push_back(vault);
  cfg["kv"].push_back(secrets);
  return write_file(dir / "era-emu.json", cfg.dump(2));
}

Options on(const TempDir& t, const std::string& config) {
  Options o = with_config(config);
  o.data_dir = (t.path / "data").string();
  return o;
}

// True when `needle` occurs in any file under `root`.
bool occurs_under(const fs::path& root, const std::string& needle, std::vector<std::string>* where = nullptr) {
  bool found = false;
  for (const auto& f : fs::recursive_directory_iterator(root)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes.find(needle) != std::string::npos) {
      found = true;
      if (where) where->push_back(f.path().string());
    }
  }
  return found;
}

std::string canary(const char* tag) { return std::string("CANARY-") + tag + "-" + core::random_id(8); }
// The control store's counterpart of a canary: same length and randomness, never containing it.
std::string ctl(const std::string& canary) { return "CONTROL" + canary.substr(6); }

void put_kv(Emu& e, const std::string& ns, const std::string& key, const std::string& value, const json& meta) {
  json body = {{"value", value}};
  if (!meta.is_null()) body["metadata"] = meta;
  auto r = e.put_json("/api/storage/kv/" + ns + "/" + key, body);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
}

json get_kv(Emu& e, const std::string& ns, const std::string& key) {
  auto r = e.get("/api/storage/kv/" + ns + "/" + key + "?metadata=true");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return body_json(r);
}

void put_r2(Emu& e, const std::string& bucket, const std::string& key, const std::string& body,
            const std::string& meta) {
  auto r = e.put_raw("/api/r2/" + bucket + "/" + key, body, "text/plain", {{"X-Era-Meta-Secret", meta}});
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
}

std::string start_upload(Emu& e, const std::string& path, const std::string& meta) {
  auto r = e.http->Post(path + "?uploads", {{"X-Era-Meta-Secret", meta}}, "", "application/octet-stream");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return body_json(r)["uploadId"];
}

std::string put_part(Emu& e, const std::string& path, const std::string& id, int n, const std::string& data) {
  auto r = e.put_raw(path + "?uploadId=" + id + "&partNumber=" + std::to_string(n), data);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return body_json(r)["etag"];
}

// A body of `n` bytes with `needle` repeated through it (so it spans chunk boundaries).
std::string body_with(const std::string& needle, size_t n) {
  std::string s;
  while (s.size() < n) s += needle + "|";
  s.resize(n);
  return s;
}

// Writes the same shapes into the encrypted stores (canaries `secret_*`) and the controls.
struct Written {
  std::string kv_value, kv_meta, r2_body, r2_meta, mp_part, mp_meta, open_part;
};

Written write_everything(Emu& e, bool vault_multipart = true) {
  Written w{canary("kvvalue"), canary("kvmeta"), canary("r2body"), canary("r2meta"),
            canary("mppart"), canary("mpmeta"), canary("openpart")};
  put_kv(e, "secrets", "k1", w.kv_value, {{"note", w.kv_meta}});
  put_kv(e, "open", "k1", ctl(w.kv_value), {{"note", ctl(w.kv_meta)}});
  put_r2(e, "vault", "doc.txt", body_with(w.r2_body, 200'000), w.r2_meta);
  put_r2(e, "plain", "doc.txt", body_with(ctl(w.r2_body), 200'000), ctl(w.r2_meta));
  if (vault_multipart) {
    // A completed upload (parts deleted afterwards) and one left open (its part stays on disk).
    std::string id = start_upload(e, "/api/r2/vault/mp.bin", w.mp_meta);
    std::string e1 = put_part(e, "/api/r2/vault/mp.bin", id, 1, body_with(w.mp_part, 5 * kMiB));
    std::string e2 = put_part(e, "/api/r2/vault/mp.bin", id, 2, body_with(w.mp_part, 1000));
    auto r = e.post_json("/api/r2/vault/mp.bin?uploadId=" + id,
                         {{"parts", json::array({{{"partNumber", 1}, {"etag", e1}}, {{"partNumber", 2}, {"etag", e2}}})}});
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    std::string open_id = start_upload(e, "/api/r2/vault/pending.bin", w.mp_meta);
    put_part(e, "/api/r2/vault/pending.bin", open_id, 1, body_with(w.open_part, 70'000));
    std::string ctl_id = start_upload(e, "/api/r2/plain/pending.bin", ctl(w.mp_meta));
    put_part(e, "/api/r2/plain/pending.bin", ctl_id, 1, body_with(ctl(w.open_part), 70'000));
  }
  return w;
}

}  // namespace

TEST_CASE("encryption: KV and R2 round trip through HTTP, ranges, multipart, list", "[encryption][products]") {
  TempDir t;
  EnvVar key("ERA_TEST_VAULT_KEY_RT", "a-secret-of-at-least-sixteen-bytes");
  Emu e(on(t, write_config(t.path, key.name)));
  Written w = write_everything(e);

  json kv = get_kv(e, "secrets", "k1");
  CHECK(kv["value"] == w.kv_value);
  CHECK(kv["metadata"]["note"] == w.kv_meta);
  auto list = body_json(e.get("/api/storage/kv/secrets?limit=10"));
  REQUIRE(list["keys"].size() == 1);
  CHECK(list["keys"][0]["name"] == "k1");  // keys stay readable: lists work
  CHECK(list["keys"][0]["metadata"]["note"] == w.kv_meta);

  const std::string doc = body_with(w.r2_body, 200'000);
  auto g = e.get("/api/r2/vault/doc.txt");
  REQUIRE(g->status == 200);
  CHECK(g->body == doc);
  CHECK(g->get_header_value("ETag") == "\"" + core::to_hex(core::md5(doc)) + "\"");
  CHECK(g->get_header_value("X-Era-Meta-Secret") == w.r2_meta);
  CHECK(g->get_header_value("Content-Type") == "text/plain");
  for (auto [from, to] : std::vector<std::pair<size_t, size_t>>{{0, 0}, {65530, 65545}, {131071, 131072}, {199990, 199999}}) {
    auto rg = e.get("/api/r2/vault/doc.txt", {{"Range", "bytes=" + std::to_string(from) + "-" + std::to_string(to)}});
    REQUIRE(rg->status == 206);
    CHECK(rg->body == doc.substr(from, to - from + 1));
  }
  auto mp = e.get("/api/r2/vault/mp.bin");
  REQUIRE(mp->status == 200);
  CHECK(mp->body == body_with(w.mp_part, 5 * kMiB) + body_with(w.mp_part, 1000));
  CHECK(mp->get_header_value("X-Era-Meta-Secret") == w.mp_meta);
  auto empty = e.put_raw("/api/r2/vault/empty", "");
  REQUIRE(empty->status == 200);
  CHECK(e.get("/api/r2/vault/empty")->body.empty());
}

TEST_CASE("encryption: the data directory never holds the plaintext (grep test)", "[encryption][products]") {
  TempDir t;
  EnvVar key("ERA_TEST_VAULT_KEY_GREP", "another-secret-of-enough-bytes!!");
  Written w;
  fs::path data = t.path / "data";
  {
    Emu e(on(t, write_config(t.path, key.name)));
    w = write_everything(e);
    // While running (LMDB pages, blobs, uploads, temp files): nothing readable...
    std::vector<std::string> where;
    for (const auto& s : {w.kv_value, w.kv_meta, w.r2_body, w.r2_meta, w.mp_part, w.mp_meta, w.open_part}) {
      INFO("plaintext " << s);
      CHECK_FALSE(occurs_under(data, s, &where));
    }
    INFO("found in: " << json(where).dump());
    // ...while the unencrypted controls show theirs, so the grep does see what is stored.
    for (const auto& s : {w.kv_value, w.kv_meta, w.r2_body, w.r2_meta, w.mp_meta, w.open_part}) {
      INFO("control " << s);
      CHECK(occurs_under(data, ctl(s)));
    }
  }
  // And after a clean stop (everything flushed).
  for (const auto& s : {w.kv_value, w.kv_meta, w.r2_body, w.r2_meta, w.mp_part, w.mp_meta, w.open_part})
    CHECK_FALSE(occurs_under(data, s));
  CHECK(occurs_under(data, ctl(w.kv_value)));
}

TEST_CASE("encryption: restart with the right, a wrong, or a missing secret", "[encryption][products]") {
  TempDir t;
  const std::string name = "ERA_TEST_VAULT_KEY_RS";
  const std::string config = write_config(t.path, name);
  Written w;
  {
    EnvVar key(name, "the-right-secret-0123456789");
    Emu e(on(t, config));
    w = write_everything(e, false);
  }
  {  // right secret: everything reads back
    EnvVar key(name, "the-right-secret-0123456789");
    Emu e(on(t, config));
    CHECK(get_kv(e, "secrets", "k1")["value"] == w.kv_value);
    CHECK(e.get("/api/r2/vault/doc.txt")->body == body_with(w.r2_body, 200'000));
  }
  {  // wrong secret: a clear start-up error naming the store and the reference
    EnvVar key(name, "a-wrong-secret-0123456789");
    auto started = Emulator::start(on(t, config));
    REQUIRE_FALSE(started);
    INFO(started.error().message);
    CHECK(started.error().message.find("bucket vault") != std::string::npos);
    CHECK(started.error().message.find("env:" + name) != std::string::npos);
    CHECK(started.error().message.find("does not decrypt data written earlier") != std::string::npos);
  }
  {  // missing env var
    auto started = Emulator::start(on(t, config));
    REQUIRE_FALSE(started);
    INFO(started.error().message);
    CHECK(started.error().message.find("bucket vault: env:" + name + " is not set") != std::string::npos);
  }
  {  // too short a secret
    EnvVar key(name, "short");
    auto started = Emulator::start(on(t, config));
    REQUIRE_FALSE(started);
    CHECK(started.error().message.find("too short") != std::string::npos);
  }
  {  // unreadable key file
    EnvVar key(name, "the-right-secret-0123456789");
    fs::remove(t.path / "keys" / "kv.key");
    auto started = Emulator::start(on(t, config));
    REQUIRE_FALSE(started);
    INFO(started.error().message);
    CHECK(started.error().message.find("kv store secrets: file:") != std::string::npos);
    CHECK(started.error().message.find("kv.key cannot be read") != std::string::npos);
  }
  {  // encryption dropped from the config while encrypted data exists: refused
    EnvVar key(name, "the-right-secret-0123456789");
    auto started = Emulator::start(on(t, write_config(t.path, name, false)));
    REQUIRE_FALSE(started);
    INFO(started.error().message);
    CHECK(started.error().message.find("holds data encrypted earlier") != std::string::npos);
  }
  write_config(t.path, name);  // restores keys/kv.key too
  {  // key rotation (docs/products.md): read out, reset the store, restart with the new secret
    EnvVar key(name, "the-right-secret-0123456789");
    Emu e(on(t, config));
    std::string keep = e.get("/api/r2/vault/doc.txt")->body;
    auto r = e.post_json("/_emu/reset", {{"service", "r2"}, {"namespace", "vault"}});
    REQUIRE(r->status == 200);
    e.emu->stop();
    EnvVar rotated(name, "the-NEW-secret-after-rotation");
    Emu e2(on(t, config));
    put_r2(e2, "vault", "doc.txt", keep, w.r2_meta);
    CHECK(e2.get("/api/r2/vault/doc.txt")->body == keep);
    CHECK(get_kv(e2, "secrets", "k1")["value"] == w.kv_value);  // the KV store kept its file secret
  }
}

TEST_CASE("encryption: turned on over plaintext data, old records stay readable, new ones sealed",
          "[encryption][products]") {
  TempDir t;
  const std::string name = "ERA_TEST_VAULT_KEY_ON";
  EnvVar key(name, "the-right-secret-0123456789");
  {
    Emu e(on(t, write_config(t.path, name, false)));
    put_kv(e, "secrets", "old", "old-plain-value", nullptr);
    put_r2(e, "vault", "old.txt", "old-plain-body", "m");
  }
  Emu e(on(t, write_config(t.path, name, true)));
  CHECK(get_kv(e, "secrets", "old")["value"] == "old-plain-value");
  CHECK(e.get("/api/r2/vault/old.txt")->body == "old-plain-body");
  std::string fresh = canary("fresh");
  put_kv(e, "secrets", "new", fresh, nullptr);
  CHECK(get_kv(e, "secrets", "new")["value"] == fresh);
  CHECK_FALSE(occurs_under(t.path / "data", fresh));
}

TEST_CASE("encryption: tampered KV records and R2 blobs are errors, never garbage", "[encryption][products]") {
  TempDir t;
  const std::string name = "ERA_TEST_VAULT_KEY_TA";
  EnvVar key(name, "the-right-secret-0123456789");
  const std::string config = write_config(t.path, name);
  {
    Emu e(on(t, config));
    put_kv(e, "secrets", "a", "value-a", nullptr);
    put_kv(e, "secrets", "b", "value-b", nullptr);
    put_r2(e, "vault", "small.txt", "a small secret body", "m");
  }
  store::Paths paths(t.path / "data");
  {
    auto db = std::move(*store::Lmdb::open(paths.lmdb_dir(), {}));
    auto txn = db->begin_write();
    // Flip a byte in record a; copy record b under key c (moved record).
    std::string a(*txn->get(store::Table::kv, std::string("secrets\0a", 9)).value());
    a[a.size() / 2] ^= 0x20;
    REQUIRE(txn->put(store::Table::kv, std::string("secrets\0a", 9), a));
    std::string b(*txn->get(store::Table::kv, std::string("secrets\0b", 9)).value());
    REQUIRE(txn->put(store::Table::kv, std::string("secrets\0c", 9), b));
    REQUIRE(txn->commit());
  }
  for (const auto& f : fs::recursive_directory_iterator(paths.blobs_dir())) {
    if (!f.is_regular_file()) continue;
    std::fstream io(f.path(), std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(20);
    io.put('\x7f');
  }
  Emu e(on(t, config));
  CHECK(get_kv(e, "secrets", "b")["value"] == "value-b");
  for (const char* k : {"a", "c"}) {
    auto r = e.get(std::string("/api/storage/kv/secrets/") + k);
    REQUIRE(r);
    CHECK(r->status == 500);
    CHECK(body_json(r)["code"] == "DATA_CORRUPTED");
  }
  auto l = e.get("/api/storage/kv/secrets");
  CHECK(l->status == 500);  // a list that meets a corrupted record says so
  auto g = e.get("/api/r2/vault/small.txt");
  REQUIRE(g);
  CHECK(g->status == 500);
  CHECK(body_json(g)["code"] == "DATA_CORRUPTED");
  CHECK(g->body.find("a small secret body") == std::string::npos);
}
