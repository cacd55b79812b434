// Issue 15: wrangler files as declarations (TOML and JSONC readers, bindings → stores named as
// getPlatformProxy names them, D1 migrations as wrangler applies them, environments), Layeron's
// declaration dialect (namespace, lifecycle, SecretRef, algorithm/mode), and run-time
// declarations (POST /_emu/declarations): idempotent, conflicts refused, --strict honoured,
// settings applied, kept in the data dir across restarts.
#include <catch2/catch.hpp>

#include "products/catalog.h"
#include "products/wrangler.h"
#include "products_support.h"

using namespace era;
using namespace era::test;
using Catch::Matchers::Contains;

namespace {

json toml(const std::string& text) {
  auto r = products::parse_toml(text, "wrangler.toml");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  return *r;
}

std::string toml_error(const std::string& text) {
  auto r = products::parse_toml(text, "wrangler.toml");
  REQUIRE_FALSE(r);
  return r.error().message;
}

json config_of(Emu& e) { return body_json(e.get("/_emu/config")); }

const std::string kWranglerToml = R"(# a Worker's wrangler.toml
name = "visits"
main = "src/index.js"
compatibility_date = "2026-11-01"

[vars]
GREETING = "Hello"

[[kv_namespaces]]
binding = "CACHE"
id = "0f2ac74b498b48028cb68387c421e279"

[[r2_buckets]]
binding = 'RECEIPTS'
bucket_name = "receipts"

[[d1_databases]]
binding = "DB"
database_name = "visits-db"
database_id = "4e1c28a9-90e4-41da-8b4b-6cf36e5abb29"
migrations_dir = "db/migrations"

[env.staging]
kv_namespaces = [ { binding = "CACHE", id = "staging-cache" } ]
r2_buckets = [
  { binding = "RECEIPTS", bucket_name = "staging-receipts" },  # trailing comma allowed
]
)";

}  // namespace

TEST_CASE("toml: the forms wrangler files use", "[products][wrangler]") {
  json j = toml(R"(
title = "a \"quoted\" \u00e9 string"   # comment
literal = 'C:\path\no-escapes'
multi = """
first
second"""
n = 1_000
hex = 0xff
neg = -17
pi = 3.25
on = true
list = [1, 2,
  3,]
inline = { a = 1, b.c = "x" }
"quoted key" = 1
dotted.key.here = "v"

[table]
k = "v"
[table.sub]
k2 = 2

[[arr]]
x = 1
[[arr]]
x = 2
[arr.inner]
y = 3
)");
  CHECK(j["title"] == "a \"quoted\" \xc3\xa9 string");
  CHECK(j["literal"] == "C:\\path\\no-escapes");
  CHECK(j["multi"] == "first\nsecond");
  CHECK(j["n"] == 1000);
  CHECK(j["hex"] == 255);
  CHECK(j["neg"] == -17);
  CHECK(j["pi"] == 3.25);
  CHECK(j["on"] == true);
  CHECK(j["list"] == json({1, 2, 3}));
  CHECK(j["inline"] == json({{"a", 1}, {"b", {{"c", "x"}}}}));
  CHECK(j["quoted key"] == 1);
  CHECK(j["dotted"]["key"]["here"] == "v");
  CHECK(j["table"] == json({{"k", "v"}, {"sub", {{"k2", 2}}}}));
  CHECK(j["arr"] == json::parse(R"([{"x":1},{"x":2,"inner":{"y":3}}])"));

  // Dates and times are kept as text (a wrangler field era-emu does not read must not stop it).
  json d = toml("compatibility_date = 2026-11-01\nat = 1979-05-27T07:32:00Z\nlocal = 07:32:00\n");
  CHECK(d["compatibility_date"] == "2026-11-01");
  CHECK(d["at"] == "1979-05-27T07:32:00Z");
  CHECK(d["local"] == "07:32:00");
}

TEST_CASE("toml: errors name the file and the line", "[products][wrangler]") {
  CHECK_THAT(toml_error("a = 1\nb = \"never closed\n"), Contains("wrangler.toml:2: newline in a string"));
  CHECK_THAT(toml_error("a = 1\na = 2\n"), Contains("wrangler.toml:2: key a defined twice"));
  CHECK_THAT(toml_error("when = 1979-99\n"), Contains("unsupported value"));
  CHECK_THAT(toml_error("a = 1 b = 2\n"), Contains("expected the end of the line"));
  CHECK_THAT(toml_error("[table\n"), Contains("unclosed table header"));
  CHECK_THAT(toml_error("a = \"\\q\"\n"), Contains("bad escape \\q"));
  std::string deep = "a = " + std::string(200, '[') + std::string(200, ']') + "\n";
  CHECK_THAT(toml_error(deep), Contains("nested deeper than"));
}

TEST_CASE("wrangler.toml as --config: bindings become declared stores, migrations applied once", "[products][wrangler]") {
  TempDir dir;
  write_file(dir.path / "db/migrations/0001_visits.sql", "CREATE TABLE visits (user TEXT NOT NULL);");
  write_file(dir.path / "db/migrations/0002_index.sql", "CREATE INDEX visits_user ON visits(user);");
  auto cfg = write_file(dir.path / "wrangler.toml", kWranglerToml);
  Options o = with_config(cfg, /*strict=*/true);
  o.data_dir = (dir.path / "data").string();
  {
    Emu e(o);
    auto c = config_of(e);
    CHECK(c["wrangler"] == std::filesystem::path(cfg).lexically_normal().string());
    // Named as getPlatformProxy names them: KV by id, R2 by bucket_name, D1 by database_name.
    CHECK(c["kv"][0]["name"] == "0f2ac74b498b48028cb68387c421e279");
    CHECK(c["buckets"][0]["name"] == "receipts");
    CHECK(c["d1"][0]["name"] == "visits-db");
    CHECK(c["d1"][0]["migrations"] == (dir.path / "db/migrations").lexically_normal().string());
    auto q = e.post_json("/api/storage/d1/visits-db/query", {{"sql", "SELECT name FROM d1_migrations ORDER BY id"}});
    REQUIRE(q->status == 200);
    auto rows = body_json(q);
    INFO(rows.dump());
    CHECK(rows.dump().find("0001_visits.sql") != std::string::npos);
    CHECK(rows.dump().find("0002_index.sql") != std::string::npos);
    // --strict: the declared stores work, others are 404.
    CHECK(e.put_raw("/api/r2/receipts/a.json", "{}", "application/json")->status == 200);
    CHECK(e.put_raw("/api/r2/other/a.json", "{}", "application/json")->status == 404);
  }
  {  // a restart applies nothing twice
    Emu e(o);
    auto q = e.post_json("/api/storage/d1/visits-db/query", {{"sql", "SELECT count(*) AS n FROM d1_migrations"}});
    CHECK(body_json(q).dump().find("\"n\":2") != std::string::npos);
  }
  {  // --wrangler-env staging: that environment's bindings only (no inheritance, as wrangler)
    Options s = with_config(cfg, true);
    s.memory = true;
    s.wrangler_env = "staging";
    Emu e(s);
    auto c = config_of(e);
    CHECK(c["kv"][0]["name"] == "staging-cache");
    CHECK(c["buckets"][0]["name"] == "staging-receipts");
    CHECK(c["d1"] == json::array());
  }
  {
    Options s = with_config(cfg);
    s.memory = true;
    s.wrangler_env = "production";
    auto started = Emulator::start(s);
    REQUIRE_FALSE(started);
    CHECK_THAT(started.error().message, Contains("has no environment \"production\""));
  }
}

TEST_CASE("wrangler.jsonc: comments and trailing commas; unusable bindings named", "[products][wrangler]") {
  TempDir dir;
  auto cfg = write_file(dir.path / "wrangler.jsonc", R"({
    // JSONC, as wrangler writes it
    "name": "w",
    "kv_namespaces": [{"binding": "SESSIONS", "id": "sessions-ns",},],
    "r2_buckets": [{"binding": "FILES"}],  /* no bucket_name: the binding names it */
    "d1_databases": [{"binding": "DB", "database_name": "app"}],
  })");
  auto c = products::load_catalog(cfg);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  CHECK(c->kv.at(0).name == "sessions-ns");
  CHECK(c->buckets.at(0).name == "FILES");
  CHECK(c->d1.at(0).name == "app");
  CHECK(c->d1.at(0).migrations_dir.empty());  // no ./migrations folder: none

  auto bad = write_file(dir.path / "bad/wrangler.json", R"({"kv_namespaces": [{"binding": "has space", "id": "x.y"}]})");
  auto b = products::load_catalog(bad);
  REQUIRE_FALSE(b);
  CHECK_THAT(b.error().message, Contains("kv_namespaces[0]: names no usable store"));
}

TEST_CASE("era-emu.json points at a wrangler file and refines its stores", "[products][wrangler]") {
  TempDir dir;
  write_file(dir.path / "wrangler.toml", kWranglerToml);
  std::filesystem::create_directories(dir.path / "db/migrations");
  auto cfg = write_file(dir.path / "era-emu.json", R"({
    "wrangler": "wrangler.toml",
    "kv": [{"name": "0f2ac74b498b48028cb68387c421e279", "ttlSeconds": 3600, "propagationDelayMs": 0}],
    "buckets": [{"name": "receipts", "deleteAfterDays": 7}, {"name": "extra"}]
  })");
  auto c = products::load_catalog(cfg);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  REQUIRE(c->kv.size() == 1);
  CHECK(c->kv[0].ttl_seconds == 3600);
  REQUIRE(c->buckets.size() == 2);
  CHECK(c->buckets[0].delete_after_days == 7);
  CHECK(c->buckets[1].name == "extra");
  CHECK(c->wrangler == (dir.path / "wrangler.toml").lexically_normal().string());

  auto missing = write_file(dir.path / "m/era-emu.json", R"({"wrangler": "nope.toml"})");
  auto m = products::load_catalog(missing);
  REQUIRE_FALSE(m);
  CHECK_THAT(m.error().message, Contains("nope.toml does not exist"));
}

TEST_CASE("config: Layeron's declaration dialect", "[products][layeron]") {
  TempDir dir;
  auto ok = write_file(dir.path / "era-emu.json", R"({
    "buckets": [{"name": "secure-vault", "access": "private", "binding": "VAULT", "observability": {"logs": true},
                 "lifecycle": {"deleteAfterDays": 30},
                 "encryption": {"secret": {"kind": "secret_ref", "name": "vault-aes-key"}, "algorithm": "aes-gcm-256", "mode": "managed"}}],
    "kv": [{"name": "user-sessions", "namespace": "auth", "ttlSeconds": 86400}],
    "secrets": {"vault-aes-key": {"random": {"bytes": 32}}, "other": "env:OTHER_KEY"}
  })");
  auto c = products::load_catalog(ok);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  CHECK(c->buckets[0].delete_after_days == 30);
  CHECK(c->buckets[0].identity == "default/secure-vault");
  CHECK(c->buckets[0].encryption->secret_ref == "secret:vault-aes-key");
  CHECK(c->kv[0].name == "auth__user-sessions");
  CHECK(c->kv[0].identity == "auth/user-sessions");
  CHECK(c->secrets.at("vault-aes-key").random_bytes == 32);
  CHECK(c->secrets.at("other").ref == "env:OTHER_KEY");

  auto bad = write_file(dir.path / "bad.json", R"({
    "buckets": [{"name": "a", "namespace": "layeron"},
                {"name": "b", "deleteAfterDays": 3, "lifecycle": {"deleteAfterDays": 4}},
                {"name": "c", "encryption": {"secret": {"kind": "secret_ref", "name": "k"}, "algorithm": "aes-cbc"}},
                {"name": "d", "encryption": {"secret": {"kind": "secret", "name": "k"}}}],
    "kv": [{"name": "x", "namespace": "a-very-long-namespace-name-that-goes-on-and-on-and-on-and-on-x", "ttlSeconds": 60}],
    "secrets": {"k": {"random": {"bytes": 8}}}
  })");
  auto b = products::load_catalog(bad);
  REQUIRE_FALSE(b);
  const std::string& m = b.error().message;
  CHECK_THAT(m, Contains("buckets[0].namespace: \"layeron\" is reserved"));
  CHECK_THAT(m, Contains("buckets[1].lifecycle.deleteAfterDays: given twice"));
  CHECK_THAT(m, Contains("buckets[2].encryption.algorithm: only \"aes-gcm-256\" is supported"));
  CHECK_THAT(m, Contains("buckets[3].encryption.secret.kind: must be \"secret_ref\""));
  CHECK_THAT(m, Contains("kv[0]: namespace and name together"));
  CHECK_THAT(m, Contains("secrets.k.random.bytes: must be a whole number of bytes >= 16"));
}

TEST_CASE("run-time declarations: created, unchanged, conflicts, --strict, settings applied", "[products][layeron]") {
  TempDir dir;
  auto cfg = write_file(dir.path / "era-emu.json", R"({"buckets": [{"name": "from-file"}]})");
  Options o = with_config(cfg, /*strict=*/true);
  o.data_dir = (dir.path / "data").string();
  {
    Emu e(o);
    CHECK(e.put_raw("/api/kv/auth__user-sessions/s1", "v")->status == 404);  // not declared yet

    json doc = {{"kv", {{{"name", "user-sessions"}, {"namespace", "auth"}, {"ttlSeconds", 86400}}}},
                {"buckets", {{{"name", "from-file"}}}}};
    auto r = e.post_json("/_emu/declarations", doc);
    REQUIRE(r->status == 200);
    auto out = body_json(r);
    CHECK(out["declared"] == json::parse(R"([
      {"service": "r2", "name": "from-file", "identity": "default/from-file", "status": "unchanged"},
      {"service": "kv", "name": "auth__user-sessions", "identity": "auth/user-sessions", "status": "created"}])"));
    // Declared now; the store's default TTL applies on the virtual clock.
    CHECK(e.put_raw("/api/kv/auth__user-sessions/s1", "v")->status == 200);
    CHECK(e.get("/api/kv/auth__user-sessions/s1")->status == 200);
    clock_at(e, 86'400'000 + 1000);
    CHECK(e.get("/api/kv/auth__user-sessions/s1")->status == 404);

    // The same again: unchanged. A different one: 409 naming the field.
    CHECK(body_json(e.post_json("/_emu/declarations", doc))["declared"][1]["status"] == "unchanged");
    auto clash = e.post_json("/_emu/declarations", {{"kv", {{{"name", "user-sessions"}, {"namespace", "auth"}, {"ttlSeconds", 60}}}}});
    REQUIRE(clash->status == 409);
    auto err = body_json(clash);
    CHECK(err["code"] == "DECLARATION_CONFLICT");
    CHECK_THAT(err["error"].get<std::string>(), Contains("\"auth__user-sessions\" is already declared with a different ttlSeconds"));

    // Validated like the file: every problem named, nothing declared.
    auto bad = e.post_json("/_emu/declarations", {{"buckets", {{{"name", "ok-name"}, {"acess", "private"}}}}});
    REQUIRE(bad->status == 400);
    CHECK_THAT(body_json(bad)["error"].get<std::string>(), Contains("declaration: buckets[0].acess: unknown field; did you mean \"access\"?"));
    CHECK(e.put_raw("/api/r2/ok-name/k", "x")->status == 404);
    CHECK(e.send("POST", "/_emu/declarations", "[1,2]", {{"Content-Type", "application/json"}})->status == 400);

    // A SecretRef with no "secrets" entry is the environment variable UPPER_SNAKE(name).
    auto nokey = e.post_json("/_emu/declarations",
                             {{"buckets", {{{"name", "locked"}, {"encryption", {{"secret", {{"kind", "secret_ref"}, {"name", "era-test-unset-key"}}}}}}}}});
    REQUIRE(nokey->status == 400);
    CHECK_THAT(body_json(nokey)["error"].get<std::string>(), Contains("env:ERA_TEST_UNSET_KEY is not set"));
    CHECK(e.put_raw("/api/r2/locked/k", "x")->status == 404);

    // An encrypted bucket keyed by a secret the emulator generates.
    auto vault = e.post_json("/_emu/declarations", json::parse(R"({
      "buckets": [{"name": "secure-vault", "encryption": {"secret": {"kind": "secret_ref", "name": "vault-aes-key"}, "algorithm": "aes-gcm-256"}}],
      "secrets": {"vault-aes-key": {"random": {"bytes": 32}}}})"));
    INFO(vault->body);
    REQUIRE(vault->status == 200);
    CHECK(std::filesystem::is_regular_file(dir.path / "data/secrets/vault-aes-key"));
    CHECK((std::filesystem::status(dir.path / "data/secrets/vault-aes-key").permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    CHECK(e.put_raw("/api/r2/secure-vault/doc.pdf", "%PDF plaintext marker")->status == 200);
  }
  {  // Kept in the data dir: a restart declares them again, the vault still decrypts.
    Emu e(o);
    auto c = config_of(e);
    CHECK(c["kv"].size() == 1);
    CHECK(c["kv"][0]["name"] == "auth__user-sessions");
    CHECK(c["buckets"].size() == 2);
    CHECK(e.get("/api/r2/secure-vault/doc.pdf")->body == "%PDF plaintext marker");
  }
}
