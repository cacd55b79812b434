// era-emu.json: comments, every validation rule and its message (file, field, fix), config
// discovery, start-up refusal, GET /_emu/config, and --strict's 404 on every protocol.
#include <catch2/catch.hpp>

#include "products/catalog.h"
#include "products/jsonc.h"
#include "products_support.h"

using namespace era;
using namespace era::test;
using Catch::Matchers::Contains;

namespace {

// Loads `text` as <tmp>/era-emu.json; returns the error message ("" when valid).
struct Loaded {
  TempDir dir;
  std::string path;
  Result<products::Catalog> result = products::Catalog{};
  explicit Loaded(const std::string& text) {
    std::filesystem::create_directories(dir.path / "migrations");
    path = write_file(dir.path / "era-emu.json", text);
    result = products::load_catalog(path);
  }
  std::string error() const { return result ? std::string() : result.error().message; }
};

std::string bucket_with(const std::string& field) {
  return R"({"buckets":[{"name":"avatars", )" + field + "}]}";
}

}  // namespace

TEST_CASE("jsonc: comments go, strings keep their slashes, positions are kept", "[products][config]") {
  auto r = products::strip_json_comments(
      "{ // line\n \"u\": \"http://x/*y*/\", /* block\n over lines */ \"q\": \"a\\\"//b\" }");
  REQUIRE(r);
  auto j = nlohmann::json::parse(*r);
  CHECK(j["u"] == "http://x/*y*/");
  CHECK(j["q"] == "a\"//b");
  CHECK(std::count(r->begin(), r->end(), '\n') == 2);
  auto bad = products::strip_json_comments("{\n\n /* never closed");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Contains("line 3"));
}

TEST_CASE("config: the issue's declaration parses into the catalog", "[products][config]") {
  Loaded l(R"({
    // avatars: private, 30-day lifecycle, encrypted
    "buckets": [{"name": "avatars", "access": "private", "deleteAfterDays": 30,
                 "abortMultipartAfterDays": 2, "encryption": {"secret": "env:AVATARS_KEY"},
                 "signedUrlHost": "https://cdn.example.com/", "maxObjectSize": 1048576},
                {"name": "public-assets", "access": "public", "encryption": {"secret": "file:keys/a.key"}}],
    /* sessions: 24 h default TTL */
    "kv": [{"name": "sessions", "ttlSeconds": 86400, "propagationDelayMs": 0}],
    "d1": [{"name": "app", "migrations": "migrations/"}]
  })");
  INFO(l.error());
  REQUIRE(l.result);
  const auto& c = *l.result;
  CHECK(c.source == std::filesystem::path(l.path).lexically_normal().string());
  REQUIRE(c.bucket("avatars"));
  const auto& b = *c.bucket("avatars");
  CHECK_FALSE(b.is_public);
  CHECK(b.delete_after_days == 30);
  CHECK(b.abort_multipart_after_days == 2);
  CHECK(b.encryption->secret_ref == "env:AVATARS_KEY");
  CHECK(b.signed_url_host == "https://cdn.example.com");
  CHECK(b.max_object_size == 1048576u);
  CHECK(c.bucket("public-assets")->is_public);
  CHECK(c.bucket("public-assets")->encryption->secret_ref == "file:" + (l.dir.path / "keys/a.key").string());
  CHECK(c.kv_store("sessions")->ttl_seconds == 86400);
  CHECK(c.kv_store("sessions")->propagation_delay_ms == 0);
  CHECK(c.database("app")->migrations_dir == (l.dir.path / "migrations").string());
  CHECK(c.bucket("nope") == nullptr);
  CHECK(c.allows("kv", "anything"));  // not strict
  auto j = c.to_json();
  CHECK(j["buckets"][0]["encryption"]["secret"] == "env:AVATARS_KEY");
  CHECK(j["kv"][0]["ttlSeconds"] == 86400);
  CHECK(j["d1"][0]["migrations"] == (l.dir.path / "migrations").string());
}

TEST_CASE("config: every rule names the file, the field and the fix", "[products][config]") {
  struct Case {
    std::string text, field, says;
  };
  std::vector<Case> cases = {
      {bucket_with(R"("deleteAfterDay": 30)"), "buckets[0].deleteAfterDay", "did you mean \"deleteAfterDays\"?"},
      {bucket_with(R"("colour": "red")"), "buckets[0].colour", "unknown field (allowed here: name, namespace, access"},
      {R"({"bucket": []})", "bucket", "did you mean \"buckets\"?"},
      {bucket_with(R"("deleteAfterDays": 0)"), "buckets[0].deleteAfterDays", "whole number of days >= 1"},
      {bucket_with(R"("deleteAfterDays": 1.5)"), "buckets[0].deleteAfterDays", "(got 1.5)"},
      {bucket_with(R"("deleteAfterDays": "30")"), "buckets[0].deleteAfterDays", "(got \"30\")"},
      {bucket_with(R"("abortMultipartAfterDays": -1)"), "buckets[0].abortMultipartAfterDays", ">= 1"},
      {bucket_with(R"("access": "secret")"), "buckets[0].access", "\"private\" (the default) or \"public\""},
      {bucket_with(R"("encryption": {"secret": "hunter2"})"), "buckets[0].encryption.secret",
       "never the secret itself"},
      {bucket_with(R"("encryption": {"secret": "env:1BAD"})"), "buckets[0].encryption.secret", "environment variable name"},
      {bucket_with(R"("encryption": {"secret": "file:"})"), "buckets[0].encryption.secret", "followed by a path"},
      {bucket_with(R"("encryption": "env:K")"), "buckets[0].encryption", "must be an object"},
      {bucket_with(R"("encryption": {"secrt": "env:K"})"), "buckets[0].encryption.secrt", "did you mean \"secret\"?"},
      {bucket_with(R"("signedUrlHost": "https://cdn.example.com/files")"), "buckets[0].signedUrlHost", "drop the path"},
      {bucket_with(R"("signedUrlHost": "cdn.example.com")"), "buckets[0].signedUrlHost", "missing http:// or https://"},
      {bucket_with(R"("signedUrlHost": "http://h:99999")"), "buckets[0].signedUrlHost", "port must be 1-65535"},
      {bucket_with(R"("maxObjectSize": 0)"), "buckets[0].maxObjectSize", "whole number of bytes >= 1"},
      {R"({"buckets":[{"name":"has space"}]})", "buckets[0].name", "1-63 characters"},
      {R"({"buckets":[{"access":"public"}]})", "buckets[0].name", "missing"},
      {R"({"buckets":[{"name":"a"},{"name":"a"}]})", "buckets[1].name", "duplicate name \"a\" (already declared at buckets[0])"},
      {R"({"buckets":{"name":"a"}})", "buckets", "must be an array"},
      {R"({"kv":[{"name":"s","ttlSeconds":59}]})", "kv[0].ttlSeconds", "seconds >= 60"},
      {R"({"kv":[{"name":"s","propagationDelayMs":-5}]})", "kv[0].propagationDelayMs", ">= 0"},
      {R"({"kv":[{"name":"s","ttl":60}]})", "kv[0].ttl", "unknown field"},
      {R"({"d1":[{"name":"app","migrations":"nowhere/"}]})", "d1[0].migrations", "does not exist"},
      {R"({"d1":[{"name":"app","encryption":{"secret":"env:K"}}]})", "d1[0].encryption", "not supported for D1"},
  };
  for (const auto& c : cases) {
    Loaded l(c.text);
    INFO(c.text);
    REQUIRE_FALSE(l.result);
    CHECK(l.result.error().code == Code::CONFIG_INVALID);
    CHECK_THAT(l.error(), Contains(l.path + ": " + c.field + ": "));
    CHECK_THAT(l.error(), Contains(c.says));
  }
}

TEST_CASE("config: all problems at once; JSON errors carry the position", "[products][config]") {
  Loaded many(R"({"buckets":[{"name":"a","deleteAfterDays":0}], "kv":[{"name":"s","ttlSeconds":1}]})");
  REQUIRE_FALSE(many.result);
  CHECK_THAT(many.error(), Contains("buckets[0].deleteAfterDays"));
  CHECK_THAT(many.error(), Contains("kv[0].ttlSeconds"));
  CHECK(many.result.error().details["problems"].size() == 2);

  Loaded broken("{\n  \"kv\": [\n    {\"name\": \"s\",}\n  ]\n}");
  REQUIRE_FALSE(broken.result);
  CHECK_THAT(broken.error(), Contains("not valid JSON"));
  CHECK_THAT(broken.error(), Contains("line 3"));
  Loaded top("[1]");
  CHECK_THAT(top.error(), Contains("top level must be an object"));
}

TEST_CASE("config: discovery and start-up refusal", "[products][config]") {
  auto missing = products::find_config("/nonexistent/era-emu.json");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Contains("--config /nonexistent/era-emu.json: no such file"));

  TempDir dir;
  auto bad = write_file(dir.path / "era-emu.json", bucket_with(R"("deleteAfterDays": -3)"));
  auto started = Emulator::start([&] {
    Options o = with_config(bad);
    o.memory = true;
    o.port = 0;
    return o;
  }());
  REQUIRE_FALSE(started);
  CHECK_THAT(started.error().message, Contains(bad + ": buckets[0].deleteAfterDays: must be a whole number of days >= 1"));
  CHECK_THAT(started.error().message, Contains("(got -3)"));

  Options strict_without;
  strict_without.memory = true;
  strict_without.port = 0;
  strict_without.strict = true;
  strict_without.config_file = "";
  auto s = Emulator::start(strict_without);
  if (!std::filesystem::exists("era-emu.json")) {  // a config in the test's cwd would be found
    REQUIRE_FALSE(s);
    CHECK_THAT(s.error().message, Contains("--strict needs declarations"));
  }
}

TEST_CASE("GET /_emu/config shows the effective declarations, secrets as references", "[products][config]") {
  TempDir dir;
  auto cfg = write_file(dir.path / "era-emu.json", R"({
    "buckets": [{"name": "avatars", "deleteAfterDays": 30, "encryption": {"secret": "env:AVATARS_KEY"}}],
    "kv": [{"name": "sessions", "ttlSeconds": 86400}]})");
  ::setenv("AVATARS_KEY", "a-test-secret-of-32-bytes-length", 1);  // resolved by the encryption layer
  Emu e(with_config(cfg, true));
  auto j = body_json(e.get("/_emu/config"));
  CHECK(j["strict"] == true);
  CHECK(j["source"] == std::filesystem::path(cfg).lexically_normal().string());
  CHECK(j["buckets"][0] == json({{"name", "avatars"}, {"identity", "default/avatars"}, {"access", "private"}, {"deleteAfterDays", 30},
                                 {"abortMultipartAfterDays", nullptr}, {"encryption", {{"secret", "env:AVATARS_KEY"}}},
                                 {"signedUrlHost", nullptr}, {"maxObjectSize", nullptr}, {"cors", json::array()}}));
  CHECK(j["kv"][0]["ttlSeconds"] == 86400);
  CHECK(j["d1"] == json::array());

  Emu plain;  // no config: empty declarations, not strict
  auto p = body_json(plain.get("/_emu/config"));
  CHECK(p["strict"] == false);
  CHECK(p["buckets"] == json::array());
}

TEST_CASE("--strict: undeclared namespaces are 404 NOT_DECLARED on every protocol", "[products][strict]") {
  TempDir dir;
  auto cfg = write_file(dir.path / "era-emu.json",
                        R"({"buckets":[{"name":"avatars"}], "kv":[{"name":"sessions"}], "d1":[{"name":"app"}]})");
  Emu e(with_config(cfg, true));
  auto not_declared = [&](const httplib::Result& r, const std::string& what) {
    REQUIRE(r);
    CHECK(r->status == 404);
    auto j = body_json(r);
    CHECK(j["code"] == "NOT_DECLARED");
    CHECK_THAT(j["error"].get<std::string>(), Contains(what));
    CHECK_THAT(j["error"].get<std::string>(), Contains("--strict"));
  };
  // Declared names work.
  CHECK(e.put_json("/api/storage/kv/sessions/k", {{"value", "v"}})->status == 200);
  CHECK(e.put_raw("/api/r2/avatars/a.png", "png")->status == 200);
  CHECK(e.post_json("/api/storage/d1/app", {{"sql", "SELECT 1 AS one"}})->status == 200);
  // Undeclared ones do not, whatever the route.
  not_declared(e.get("/api/storage/kv/other/k"), "KV namespace \"other\" is not declared");
  not_declared(e.put_json("/api/storage/kv/other/k", {{"value", "v"}}), "add {\"name\": \"other\"} to \"kv\"");
  not_declared(e.get("/api/storage/kv/other"), "KV namespace");
  not_declared(e.put_raw("/api/r2/photos/a.png", "png"), "R2 bucket \"photos\"");
  not_declared(e.get("/api/r2/photos"), "R2 bucket");
  not_declared(e.get("/api/storage/r2/photos/a.png"), "R2 bucket");
  not_declared(e.post_json("/api/storage/d1/other", {{"sql", "SELECT 1"}}), "D1 database \"other\"");
  // The control plane is not namespaced storage: still served.
  CHECK(e.get("/_emu/inspect/kv/sessions")->status == 200);
  // Nothing was created for the refused names.
  CHECK(e.get("/_emu/inspect/kv/other")->status != 500);
}

TEST_CASE("without --strict, undeclared namespaces keep working", "[products][strict]") {
  TempDir dir;
  auto cfg = write_file(dir.path / "era-emu.json", R"({"kv":[{"name":"sessions"}]})");
  Emu e(with_config(cfg, false));
  CHECK(e.put_json("/api/storage/kv/other/k", {{"value", "v"}})->status == 200);
  CHECK(e.put_raw("/api/r2/photos/a.png", "png")->status == 200);
}

TEST_CASE("config: fixtures/era-emu.example.json is valid", "[products][config]") {
  auto root = std::filesystem::path(ERA_SOURCE_DIR);
  auto c = products::load_catalog((root / "fixtures" / "era-emu.example.json").string());
  INFO((c ? "" : c.error().message));
  REQUIRE(c);
  CHECK(c->bucket("avatars")->delete_after_days == 30);
  CHECK(c->kv_store("sessions")->ttl_seconds == 86400);
  CHECK(std::filesystem::exists(std::filesystem::path(c->database("app")->migrations_dir) / "0001_users.sql"));
}
