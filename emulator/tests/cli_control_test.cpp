// The era-emu binary driving a running emulator: every control and data verb, human and --json
// output, exit codes. The emulator runs in-process; the CLI is a real child process.

#include <catch2/catch.hpp>
#include <fstream>

#include "support.h"

using namespace era::test;

namespace {

using Out = CliResult;

// The CLI against this emulator (--url added unless the test passes one).
Out cli(Emu& emu, std::vector<std::string> args, const std::string& extra_env = "") {
  if (std::find(args.begin(), args.end(), "--url") == args.end()) {
    args.push_back("--url");
    args.push_back(emu.emu->url());
  }
  return run_era_emu(args, extra_env);
}

json cli_json(Emu& emu, std::vector<std::string> args) {
  args.push_back("--json");
  Out o = cli(emu, args);
  INFO(o.text);
  REQUIRE(o.code == 0);
  json j = json::parse(o.text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace

TEST_CASE("cli time: show, freeze, advance, set, resume", "[cli][control]") {
  Emu emu;
  CHECK(cli_json(emu, {"time", "freeze"})["mode"] == "frozen");
  int64_t t0 = cli_json(emu, {"time", "show"})["now_ms"];
  CHECK(cli_json(emu, {"time", "advance", "90s"})["now_ms"] == t0 + 90000);
  CHECK(cli_json(emu, {"time", "set", "2030-01-01T00:00:00Z"})["now"] == "2030-01-01T00:00:00.000Z");
  Out human = cli(emu, {"time", "show"});
  CHECK(human.code == 0);
  CHECK(human.text.find("2030-01-01T00:00:00.000Z") != std::string::npos);
  CHECK(cli_json(emu, {"time", "resume"})["mode"] != "frozen");
  Out bad = cli(emu, {"time", "advance", "soon"});
  CHECK(bad.code == 1);
  CHECK(bad.text.find("INVALID_TIME") != std::string::npos);
}

TEST_CASE("cli fault: add, list, rm, clear; the rule really fires", "[cli][control][faults]") {
  Emu emu;
  REQUIRE(cli(emu, {"kv", "put", "app", "user:1", "alice"}).code == 0);
  json rule = cli_json(emu, {"fault", "add", "--service", "kv", "--op", "get", "--key", "user:*", "--status",
                             "503", "--code", "UNAVAILABLE", "--times", "1"});
  std::string id = rule["id"];
  Out failed = cli(emu, {"kv", "get", "app", "user:1"});
  CHECK(failed.code == 1);
  CHECK(failed.text.find("UNAVAILABLE") != std::string::npos);
  CHECK(cli(emu, {"kv", "get", "app", "user:1"}).text == "alice\n");
  Out list = cli(emu, {"fault", "list"});
  CHECK(list.code == 0);
  CHECK(list.text.find(id) != std::string::npos);
  CHECK(list.text.find("fired=1") != std::string::npos);
  CHECK(cli(emu, {"fault", "rm", id}).code == 0);
  CHECK(cli(emu, {"fault", "rm", id}).code == 1);
  cli_json(emu, {"fault", "add", "--rule", R"({"service":"d1","action":{"type":"throttle"}})"});
  CHECK(cli_json(emu, {"fault", "clear"})["cleared"] == 1);
  Out bad = cli(emu, {"fault", "add", "--type", "explode"});
  CHECK(bad.code == 1);
  CHECK(bad.text.find("INVALID_FAULT") != std::string::npos);
}

TEST_CASE("cli reset, snapshot, seed: the state moves as the verbs say", "[cli][control]") {
  Emu emu;
  TempDir dir;
  {
    std::ofstream(dir.path / "logo.bin", std::ios::binary) << std::string("\x00\x01\x02", 3);
    std::ofstream(dir.path / "seed.json") << json{
        {"kv", {{"app", {{"a", "1"}, {"b", {{"value", "2"}, {"metadata", {{"m", 1}}}}}}}}},
        {"r2", {{"assets", {{"logo.bin", {{"file", "logo.bin"}, {"contentType", "image/png"}}}}}}},
        {"d1", {{"app", json::array({"CREATE TABLE t (x TEXT)", "INSERT INTO t VALUES ('row')"})}}}}.dump();
    std::ofstream(dir.path / "broken.json") << "{not json";
  }
  Out seeded = cli(emu, {"seed", (dir.path / "seed.json").string()});
  INFO(seeded.text);
  REQUIRE(seeded.code == 0);
  CHECK(seeded.text.find("2 KV entries, 1 R2 objects, 2 D1 statements") != std::string::npos);
  CHECK(body_json(emu.get("/_emu/inspect/r2/assets/logo.bin?body=true"))["base64"] == "AAEC");
  CHECK(cli(emu, {"seed", (dir.path / "broken.json").string()}).code == 2);
  CHECK(cli(emu, {"seed", (dir.path / "missing.json").string()}).code == 2);

  REQUIRE(cli(emu, {"snapshot", "save", "base"}).code == 0);
  Out list = cli(emu, {"snapshot", "list"});
  CHECK(list.text.find("base") != std::string::npos);
  REQUIRE(cli(emu, {"reset", "--namespace", "app"}).code == 0);
  CHECK(body_json(emu.get("/_emu/inspect/kv/app"))["keys"].empty());
  CHECK(body_json(emu.get("/_emu/inspect/r2/assets"))["objects"].size() == 1);
  Out all = cli(emu, {"reset"});
  CHECK(all.code == 0);
  CHECK(all.text.find("reset:") != std::string::npos);
  CHECK(body_json(emu.get("/_emu/inspect/r2/assets"))["objects"].empty());
  REQUIRE(cli(emu, {"snapshot", "restore", "base"}).code == 0);
  CHECK(body_json(emu.get("/_emu/inspect/kv/app"))["keys"].size() == 2);
  CHECK(body_json(emu.get("/_emu/inspect/d1/app/t"))["rows"][0]["x"] == "row");
  CHECK(cli(emu, {"snapshot", "restore", "nope"}).code == 1);
  CHECK(cli(emu, {"snapshot", "rm", "base"}).code == 0);
  CHECK(cli_json(emu, {"snapshot", "list"})["snapshots"].empty());
}

TEST_CASE("cli kv and d1: data verbs, files in and out", "[cli][control]") {
  Emu emu;
  TempDir dir;
  std::ofstream(dir.path / "v.txt") << "from a file";
  REQUIRE(cli(emu, {"kv", "put", "app", "k1", "--file", (dir.path / "v.txt").string(), "--metadata", R"({"a":1})"}).code == 0);
  REQUIRE(cli(emu, {"kv", "put", "app", "dir/k2", "two", "--ttl", "120"}).code == 0);
  CHECK(cli(emu, {"kv", "list", "app"}).text == "dir/k2\nk1\n");
  CHECK(cli(emu, {"kv", "list", "app", "--prefix", "dir/"}).text == "dir/k2\n");
  REQUIRE(cli(emu, {"kv", "get", "app", "k1", "-o", (dir.path / "out.txt").string()}).code == 0);
  std::ifstream in(dir.path / "out.txt");
  std::string got((std::istreambuf_iterator<char>(in)), {});
  CHECK(got == "from a file");
  CHECK(body_json(emu.get("/_emu/inspect/kv/app/dir/k2"))["expiration"].is_number());
  REQUIRE(cli(emu, {"kv", "rm", "app", "k1"}).code == 0);
  Out missing = cli(emu, {"kv", "get", "app", "k1"});
  CHECK(missing.code == 1);

  REQUIRE(cli(emu, {"d1", "query", "db", "CREATE TABLE p (id INTEGER, name TEXT)"}).code == 0);
  REQUIRE(cli(emu, {"d1", "query", "db", "INSERT INTO p VALUES (?, ?)", "--params", R"([1, "ada"])"}).code == 0);
  Out table = cli(emu, {"d1", "query", "db", "SELECT id, name FROM p"});
  CHECK(table.code == 0);
  CHECK(table.text.find("id | name") != std::string::npos);
  CHECK(table.text.find("1  | ada") != std::string::npos);
  CHECK(cli_json(emu, {"d1", "query", "db", "SELECT name FROM p"})["results"][0]["name"] == "ada");
  CHECK(cli(emu, {"d1", "query", "db", "SELEKT"}).code == 1);
}

TEST_CASE("cli r2: put a file, list, get it back, rm", "[cli][control][r2]") {
  Emu emu;
  if (emu.get("/api/storage/r2/probe")->status == 404 &&
      body_json(emu.get("/api/storage/r2/probe"))["code"] == "NOT_FOUND") {
    WARN("ERA R2 routes are not registered in this build; skipping the r2 verbs");
    return;
  }
  TempDir dir;
  std::string body("\x00\xffpng", 5);
  std::ofstream(dir.path / "in.bin", std::ios::binary) << body;
  REQUIRE(cli(emu, {"r2", "put", "assets", "img/in.bin", (dir.path / "in.bin").string()}).code == 0);
  CHECK(cli(emu, {"r2", "list", "assets"}).text.find("img/in.bin\t5") != std::string::npos);
  REQUIRE(cli(emu, {"r2", "get", "assets", "img/in.bin", "-o", (dir.path / "out.bin").string()}).code == 0);
  std::ifstream in(dir.path / "out.bin", std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), {});
  CHECK(got == body);
  REQUIRE(cli(emu, {"r2", "rm", "assets", "img/in.bin"}).code == 0);
  CHECK(cli(emu, {"r2", "get", "assets", "img/in.bin"}).code == 1);
}

TEST_CASE("cli r2 sign: prints a working signed URL; --json gives the whole answer", "[cli][r2][signed]") {
  Emu emu;
  REQUIRE(emu.put_raw("/api/r2/assets/a.txt", "signed!", "text/plain")->status == 200);
  Out url = cli(emu, {"r2", "sign", "assets", "a.txt", "--expires", "60"});
  REQUIRE(url.code == 0);
  std::string u = url.text.substr(0, url.text.find('\n'));
  REQUIRE(u.starts_with(emu.emu->url() + "/signed/assets/a.txt?"));
  auto got = emu.get(u.substr(emu.emu->url().size()));
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->body == "signed!");

  Out j = cli(emu, {"r2", "sign", "assets", "up.bin", "--method", "put", "--one-time", "--content-type",
                    "image/png", "--max-bytes", "10", "--json"});
  REQUIRE(j.code == 0);
  json doc = json::parse(j.text, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  CHECK(doc["method"] == "PUT");
  CHECK(doc["one_time"] == true);
  CHECK(doc["max_bytes"] == 10);
  CHECK(doc["content_type"] == "image/png");
  CHECK(cli(emu, {"r2", "sign", "assets", "k", "--expires", "604801"}).code != 0);
}

TEST_CASE("cli events and token: the CLI sends the bearer token; events list what happened", "[cli][control][events]") {
  era::Options o;
  o.token = "s3cret";
  Emu emu(o);
  CHECK(cli(emu, {"kv", "put", "app", "k", "v"}).code == 1);  // no token
  CHECK(cli(emu, {"kv", "put", "app", "k", "v", "--token", "s3cret"}).code == 0);
  CHECK(cli(emu, {"kv", "get", "app", "k"}, "ERA_EMU_TOKEN=s3cret").code == 0);
  Out ev = cli(emu, {"events", "--service", "kv", "--token", "s3cret"});
  INFO(ev.text);
  CHECK(ev.code == 0);
  CHECK(ev.text.find("kv.put app/k -> 200") != std::string::npos);
  CHECK(ev.text.find("kv.get app/k -> 200") != std::string::npos);
  json j = cli_json(emu, {"events", "--op", "put", "--token", "s3cret"});
  CHECK(j["events"].size() == 1);
  // Unreachable emulator: exit code 3.
  Out down = cli(emu, {"time", "show", "--url", "http://127.0.0.1:1"});
  CHECK(down.code == 3);
}
