// The routes behind the web inspector (issue 17), usable by scripts too: the overview of every
// namespace with counts and sizes (declared ones included), paged KV and R2 listings, a KV key
// as one location sees it, edits without faults or events, raw downloads, the events long-poll,
// per-second stats, and the page itself (static, token-free, locked to its origin).
#include <catch2/catch.hpp>

#include <thread>

#include "products_support.h"

using namespace era;
using namespace era::test;

TEST_CASE("inspect: the overview counts keys, objects, tables and bytes; declared stores appear empty", "[control][inspect]") {
  TempDir dir;
  auto cfg = write_file(dir.path / "era-emu.json", R"({"buckets": [{"name": "declared-bucket"}], "kv": [{"name": "app"}]})");
  Emu e(with_config(cfg));
  REQUIRE(e.put_raw("/api/kv/app/a", "12345")->status == 200);
  REQUIRE(e.put_raw("/api/kv/app/b", "678")->status == 200);
  REQUIRE(e.put_raw("/api/r2/media/x.bin", std::string(1000, 'x'))->status == 200);
  REQUIRE(e.post_json("/api/storage/d1/shop/exec", {{"sql", "CREATE TABLE t (n INTEGER)"}})->status == 200);
  auto s = body_json(e.get("/_emu/inspect"));
  INFO(s.dump());
  CHECK(s["kv"] == json::parse(R"([{"name": "app", "keys": 2, "bytes": 8, "declared": true}])"));
  REQUIRE(s["r2"].size() == 2);
  CHECK(s["r2"][0] == json::parse(R"({"name": "declared-bucket", "objects": 0, "bytes": 0, "uploads": 0, "declared": true})"));
  CHECK(s["r2"][1] == json::parse(R"({"name": "media", "objects": 1, "bytes": 1000, "uploads": 0, "declared": false})"));
  CHECK(s["d1"][0]["name"] == "shop");
  CHECK(s["d1"][0]["tables"] == 1);
  CHECK(s["d1"][0]["bytes"].get<int64_t>() > 0);
}

TEST_CASE("inspect: KV pages by prefix and cursor, and shows what one location sees", "[control][inspect]") {
  Emu e;
  for (int i = 0; i < 5; ++i) REQUIRE(e.put_raw("/api/kv/app/user:" + std::to_string(i), "v")->status == 200);
  REQUIRE(e.put_raw("/api/kv/app/other", "v")->status == 200);
  auto p1 = body_json(e.get("/_emu/inspect/kv/app?prefix=user:&limit=2"));
  CHECK(p1["keys"].size() == 2);
  CHECK(p1["keys"][0]["name"] == "user:0");
  CHECK_FALSE(p1["keys"][0].contains("value"));  // a page lists keys, not values
  CHECK(p1["list_complete"] == false);
  auto p3 = body_json(e.get("/_emu/inspect/kv/app?prefix=user:&limit=2&cursor=" +
                            enc(body_json(e.get("/_emu/inspect/kv/app?prefix=user:&limit=2&cursor=" + enc(p1["cursor"].get<std::string>())))["cursor"].get<std::string>())));
  CHECK(p3["keys"].size() == 1);
  CHECK(p3["list_complete"] == true);
  CHECK(e.get("/_emu/inspect/kv/app?limit=0")->status == 400);

  // A write at location "eu" is not at "local" until it propagates.
  REQUIRE(e.put_raw("/api/kv/app/fresh", "new", "application/octet-stream", {{"X-Era-Location", "eu"}})->status == 200);
  CHECK(e.get("/_emu/inspect/kv/app/fresh?location=eu")->status == 200);
  CHECK(e.get("/_emu/inspect/kv/app/fresh?location=asia")->status == 404);
  auto seen = body_json(e.get("/_emu/inspect/kv/app?limit=100&location=asia"));
  CHECK(seen["location"] == "asia");
  CHECK(seen.dump().find("fresh") == std::string::npos);
}

TEST_CASE("inspect: edits and deletes skip fault rules and events", "[control][inspect]") {
  Emu e;
  REQUIRE(e.post_json("/_emu/faults", {{"service", "kv"}, {"action", {{"type", "error"}, {"status", 503}}}})->status == 201);
  REQUIRE(e.post_json("/_emu/faults", {{"service", "r2"}, {"action", {{"type", "error"}, {"status", 503}}}})->status == 201);
  auto since = body_json(e.get("/_emu/events"))["next"].get<uint64_t>();
  auto put = e.put_json("/_emu/inspect/kv/app/k", {{"value", "edited"}, {"metadata", {{"by", "inspector"}}}, {"expiration", 4102444800}});
  REQUIRE(put->status == 200);
  auto got = body_json(e.get("/_emu/inspect/kv/app/k"));
  CHECK(got["value"] == "edited");
  CHECK(got["metadata"]["by"] == "inspector");
  CHECK(got["expiration"] == 4102444800);
  CHECK(e.put_json("/_emu/inspect/kv/app/k", {{"value", 1}})->status == 400);
  CHECK(e.del("/_emu/inspect/kv/app/k")->status == 204);
  CHECK(e.get("/_emu/inspect/kv/app/k")->status == 404);
  auto ev = body_json(e.get("/_emu/events?service=kv&since=" + std::to_string(since)));
  CHECK(ev["events"].empty());
  auto faults = body_json(e.get("/_emu/faults"));
  CHECK(faults["faults"][0]["matched"] == 0);
}

TEST_CASE("inspect: R2 pages with folders and uploads; raw download with its type", "[control][inspect]") {
  Emu e;
  REQUIRE(e.put_raw("/api/r2/media/a/1.txt", "one", "text/plain")->status == 200);
  REQUIRE(e.put_raw("/api/r2/media/a/2.txt", "two", "text/plain")->status == 200);
  REQUIRE(e.put_raw("/api/r2/media/top.txt", "top", "text/plain")->status == 200);
  REQUIRE(e.send("POST", "/api/r2/media/a/big.bin?uploads", "")->status == 200);
  auto page = body_json(e.get("/_emu/inspect/r2/media?delimiter=/&limit=10"));
  INFO(page.dump());
  CHECK(page["delimitedPrefixes"] == json::array({"a/"}));
  CHECK(page["objects"].size() == 1);
  CHECK(page["objects"][0]["key"] == "top.txt");
  CHECK(page["uploads"].size() == 1);
  CHECK(page["uploads"][0]["key"] == "a/big.bin");
  auto raw = e.get("/_emu/inspect/r2/media/a/1.txt?raw=1");
  REQUIRE(raw->status == 200);
  CHECK(raw->body == "one");
  CHECK(raw->get_header_value("Content-Type") == "text/plain");
  CHECK(raw->get_header_value("Content-Disposition") == "attachment; filename=\"1.txt\"");
  CHECK(raw->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(e.del("/_emu/inspect/r2/media/a/1.txt")->status == 204);
  CHECK(e.get("/_emu/inspect/r2/media/a/1.txt?raw=1")->status == 404);
}

TEST_CASE("events/live waits for the first matching event; stats count calls per second", "[control][inspect]") {
  Emu e;
  auto next = body_json(e.get("/_emu/events"))["next"].get<uint64_t>();
  auto empty = body_json(e.get("/_emu/events/live?wait_ms=50&since=" + std::to_string(next)));
  CHECK(empty["events"].empty());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    httplib::Client c("127.0.0.1", e.emu->port());
    c.Put("/api/kv/app/late", "v", "application/octet-stream");
  });
  auto t0 = std::chrono::steady_clock::now();
  auto got = body_json(e.get("/_emu/events/live?service=kv&wait_ms=10000&since=" + std::to_string(next)));
  auto waited = std::chrono::steady_clock::now() - t0;
  writer.join();
  REQUIRE(got["events"].size() == 1);
  CHECK(got["events"][0]["key"] == "late");
  CHECK(waited < std::chrono::seconds(5));  // answered by the event, not by the timeout
  CHECK(e.get("/_emu/events/live?wait_ms=30000")->status == 400);

  for (int i = 0; i < 3; ++i) REQUIRE(e.put_raw("/api/kv/app/k" + std::to_string(i), "v")->status == 200);
  auto stats = body_json(e.get("/_emu/stats?seconds=10"));
  CHECK(stats["seconds"] == 10);
  int64_t kv_calls = 0;
  for (const auto& n : stats["services"]["kv"]["count"]) kv_calls += n.get<int64_t>();
  CHECK(kv_calls == 4);
  CHECK(stats["services"]["kv"]["count"].size() == 10);
  CHECK(e.get("/_emu/stats?seconds=301")->status == 400);
}

TEST_CASE("the inspector page: served from the binary, token-free, locked to its origin", "[control][inspect][ui]") {
  Options o;
  o.token = "t0ken";
  Emu e(o);
  auto root = e.get("/");
  CHECK(root->status == 302);
  CHECK(root->get_header_value("Location") == "/_emu/ui/");
  CHECK(e.get("/_emu/ui")->get_header_value("Location") == "/_emu/ui/");
  auto page = e.get("/_emu/ui/");
  REQUIRE(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->body.find("<script src=\"app.js\"") != std::string::npos);
  CHECK(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(e.get("/_emu/ui/app.js")->status == 200);
  CHECK(e.get("/_emu/ui/app.css")->get_header_value("Content-Type") == "text/css; charset=utf-8");
  CHECK(e.get("/_emu/ui/missing.js")->status == 404);
  CHECK(e.get("/_emu/inspect")->status == 401);  // the data still needs the token
  CHECK(e.get("/_emu/inspect", {{"Authorization", "Bearer t0ken"}})->status == 200);

  Options off;
  off.control = false;
  Emu quiet(off);
  CHECK(quiet.get("/_emu/ui/")->status == 404);
}
