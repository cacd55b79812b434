// Every (service, op) the router can name is produced by some request, a fault rule for it fires,
// and the event log names it. The list of pairs comes from the route table itself (plus `head`,
// which a HEAD on a KV/R2 GET row carries), so a new row without a probe here fails this test.
#include <catch2/catch.hpp>
#include <set>

#include "api/routes.h"
#include "api/services.h"
#include "core/ops.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

struct Probe {
  std::string service, op, method, path, body;
  bool s3 = false;  // SigV4-signed (the S3 endpoint authenticates before the guard)
  httplib::Headers extra = {};
};

// One request per (service, op). Bodies are valid enough to reach the guard; the fault answers.
const std::vector<Probe> kProbes = {
    {"kv", "get", "GET", "/api/storage/kv/app/k", ""},
    {"kv", "head", "HEAD", "/api/storage/kv/app/k", ""},
    {"kv", "put", "PUT", "/api/storage/kv/app/k", R"({"value":"v"})"},
    {"kv", "delete", "DELETE", "/api/storage/kv/app/k", ""},
    {"kv", "list", "GET", "/api/storage/kv/app", ""},
    {"r2", "get", "GET", "/api/r2/b/k", ""},
    {"r2", "head", "HEAD", "/api/r2/b/k", ""},
    {"r2", "put", "PUT", "/api/r2/b/k", "bytes"},
    {"r2", "delete", "DELETE", "/api/r2/b/k", ""},
    {"r2", "list", "GET", "/api/r2/b", ""},
    {"r2", "multipart_create", "POST", "/api/r2/b/k?uploads", ""},
    {"r2", "multipart_upload", "PUT", "/api/r2/b/k?uploadId=u&partNumber=1", "part"},
    {"r2", "multipart_complete", "POST", "/api/r2/b/k?uploadId=u", R"({"parts":[]})"},
    {"r2", "multipart_abort", "DELETE", "/api/r2/b/k?uploadId=u", ""},
    {"r2", "sign", "POST", "/api/signed-urls", R"({"bucket":"b","key":"k","method":"GET"})"},
    {"d1", "query", "POST", "/api/storage/d1/app/query", R"({"sql":"SELECT 1"})"},
    {"d1", "exec", "POST", "/api/storage/d1/app/exec", R"({"sql":"SELECT 1"})"},
    {"d1", "batch", "POST", "/api/storage/d1/app/batch", R"({"statements":[{"sql":"SELECT 1"}]})"},
    {"resources", "list", "GET", "/api/resources/list", ""},
    {"resources", "stats", "GET", "/api/resources/stats", ""},
    {"resources", "put", "POST", "/api/resources/register", R"({"type":"kv","namespace":"app","key":"k"})"},
    {"resources", "delete", "DELETE", "/api/resources/unregister?type=kv&namespace=app&key=k", ""},
    // S3 rows name R2 ops (docs/api-s3.md): the same rules fault them.
    {"r2", "bucket_list", "GET", "/s3", "", true},
    {"r2", "bucket_head", "HEAD", "/s3/b", "", true},
    {"r2", "bucket_create", "PUT", "/s3/newbucket", "", true},
    {"r2", "bucket_delete", "DELETE", "/s3/b", "", true},
    {"r2", "bucket_config", "GET", "/s3/b?cors", "", true},
    {"r2", "multipart_list", "GET", "/s3/b?uploads", "", true},
    {"r2", "copy", "PUT", "/s3/b/k2", "", true, {{"x-amz-copy-source", "b/k"}}},
    {"r2", "get", "GET", "/s3/b/k", "", true},
    {"r2", "put", "PUT", "/s3/b/k", "bytes", true},
};

}  // namespace

TEST_CASE("ops: every (service, op) in the route table has a probe", "[ops]") {
  api::Services none;
  api::Router router;
  api::add_all_routes(router, none);
  std::set<std::pair<std::string, std::string>> named;
  for (const auto& r : router.routes()) {
    if (r.service == Service::control) continue;
    named.emplace(to_string(r.service), to_string(r.op));
    if (r.method == "GET" && (r.service == Service::kv || r.service == Service::r2))
      named.emplace(to_string(r.service), "head");
  }
  std::set<std::pair<std::string, std::string>> probed;
  for (const auto& p : kProbes) probed.emplace(p.service, p.op);
  for (const auto& pair : named) {
    INFO(pair.first << " " << pair.second);
    CHECK(probed.contains(pair));
  }
  // Every op the fault rules accept is produced by some route.
  for (Op op : all_ops()) {
    if (op == Op::control) continue;
    INFO(to_string(op));
    CHECK(std::any_of(named.begin(), named.end(), [&](const auto& p) { return p.second == to_string(op); }));
  }
}

TEST_CASE("ops: a fault rule fires for every (service, op) and the event log names it", "[ops][faults]") {
  Emu emu;
  for (const auto& p : kProbes) {
    INFO(p.service << " " << p.op << " via " << p.method << " " << p.path);
    auto added = emu.post_json("/_emu/faults", {{"service", p.service},
                                                {"op", p.op},
                                                {"times", 1},
                                                {"action", {{"type", "error"}, {"status", 599}, {"code", "PROBE"}}}});
    REQUIRE(added->status == 201);
    httplib::Headers h = {{"X-Era-Client", "probe"}};
    if (p.s3) {
      h = s3_signed(emu, p.method, p.path, p.body, p.extra);
      h.emplace("X-Era-Client", "probe");
    }
    auto r = emu.send(p.method, p.path, p.body, h);
    REQUIRE(r);
    CHECK(r->status == 599);
    if (p.method != "HEAD") CHECK(r->body.find("PROBE") != std::string::npos);
    json ev = body_json(emu.get("/_emu/events?client=probe"));
    REQUIRE(!ev["events"].empty());
    const json& last = ev["events"].back();
    CHECK(last["service"] == p.service);
    CHECK(last["op"] == p.op);
    CHECK(last["status"] == 599);
    CHECK(last["fault"] == body_json(added)["id"]);
    REQUIRE(emu.send("DELETE", "/_emu/faults", "")->status < 300);
  }
}
