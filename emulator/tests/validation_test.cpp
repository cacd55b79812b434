// Loose inputs the outside review found accepted, each now a clear 4xx that changes nothing.
#include <catch2/catch.hpp>

#include "support.h"

using namespace era::test;

namespace {

json refused(const httplib::Result& r, int status, const std::string& code) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  json b = body_json(r);
  CHECK(b["code"] == code);
  return b;
}

}  // namespace

TEST_CASE("validation: keys must be valid UTF-8, so a listed name always fetches its key", "[validation]") {
  Emu emu;
  refused(emu.put_json("/api/storage/kv/app/bad%FFkey", {{"value", "v"}}), 400, "KV_KEY_NOT_UTF8");
  refused(emu.get("/api/storage/kv/app/bad%C0%AF"), 400, "KV_KEY_NOT_UTF8");  // overlong '/'
  refused(emu.put_raw("/api/r2/files/bad%FF", "x"), 400, "R2_INVALID_KEY");
  refused(emu.put_raw("/api/r2/files/%ED%A0%80", "x"), 400, "R2_INVALID_KEY");  // a lone surrogate
  // Real UTF-8 round-trips through a listing.
  REQUIRE(emu.put_json("/api/storage/kv/app/caf%C3%A9", {{"value", "v"}})->status == 200);
  json list = body_json(emu.get("/api/storage/kv/app"));
  REQUIRE(list["keys"].size() == 1);
  std::string name = list["keys"][0]["name"];
  CHECK(name == "café");
  CHECK(emu.get("/api/storage/kv/app/" + enc(name))->status == 200);
}

TEST_CASE("validation: a registered resource is named, typed and bounded", "[validation]") {
  Emu emu;
  auto reg = [&](json body) { return emu.post_json("/api/resources/register", body); };
  json ok = {{"type", "queue"}, {"namespace", "jobs"}, {"key", "q1"}, {"size", 10}, {"metadata", {{"a", 1}}}};
  REQUIRE(reg(ok)->status == 200);
  auto with = [&](const char* field, json v) {
    json b = ok;
    b[field] = std::move(v);
    return b;
  };
  CHECK(refused(reg(with("size", "big")), 400, "INVALID_BODY")["field"] == "size");
  CHECK(refused(reg(with("size", -1)), 400, "INVALID_BODY")["field"] == "size");
  CHECK(refused(reg(with("namespace", "")), 400, "INVALID_BODY")["field"] == "namespace");
  CHECK(refused(reg(with("key", "")), 400, "INVALID_BODY")["field"] == "key");
  CHECK(refused(reg(with("type", "KV")), 400, "INVALID_BODY")["field"] == "type");
  CHECK(refused(reg(with("type", "")), 400, "INVALID_BODY")["field"] == "type");
  CHECK(refused(reg(with("key", std::string("a\x01", 2))), 400, "INVALID_BODY")["field"] == "key");
  CHECK(refused(reg(with("key", std::string(2000, 'k'))), 400, "INVALID_BODY")["field"] == "key");
  CHECK(refused(reg(with("metadata", {{"blob", std::string(100 * 1024, 'm')}})), 400, "INVALID_BODY")["field"] ==
        "metadata");
  refused(reg(with("type", "kv")), 400, "INVALID_BODY");  // derived from stored data
  // Only the valid one is there.
  json all = body_json(emu.get("/api/resources/list?type=queue"));
  CHECK(all["total"] == 1);
}

TEST_CASE("validation: seed documents say exactly what is wrong, and nothing is applied", "[validation]") {
  Emu emu;
  auto seed = [&](json doc) { return emu.post_json("/_emu/seed", doc); };
  json b = refused(seed({{"kv", {{"app", {{"k", "v"}}}}}, {"d1", {{"app", "CREATE TABLE t (x)"}}}}), 400, "INVALID_SEED");
  CHECK(b["error"].get<std::string>().find("d1.app") != std::string::npos);
  refused(seed({{"r2", {{"files", {{"a.bin", {{"base64", "===="}}}}}}}}), 400, "INVALID_SEED");
  refused(seed({{"r2", {{"files", {{"a.bin", {{"base64", "QQ="}}}}}}}}), 400, "INVALID_SEED");
  CHECK(emu.get("/api/storage/kv/app/k")->status == 404);
  CHECK(emu.get("/api/r2/files/a.bin")->status == 404);
}

TEST_CASE("validation: at most 1000 fault rules at once", "[validation][faults]") {
  Emu emu;
  json rule = {{"service", "kv"}, {"op", "get"}, {"key", "never"}, {"action", {{"type", "error"}}}};
  for (int i = 0; i < 1000; ++i) REQUIRE(emu.post_json("/_emu/faults", rule)->status == 201);
  json b = refused(emu.post_json("/_emu/faults", rule), 400, "INVALID_FAULT");
  CHECK(b["max_rules"] == 1000);
  REQUIRE(emu.del("/_emu/faults")->status == 200);
  CHECK(emu.post_json("/_emu/faults", rule)->status == 201);
}
