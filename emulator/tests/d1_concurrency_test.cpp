// Many clients hammering one D1 namespace: no SQLITE_BUSY (or any error) may reach a client,
// and every acknowledged write is there afterwards. Also: kill -9 loses no acknowledged write.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <thread>

#include "support.h"

using namespace era::test;

TEST_CASE("d1 concurrency: 8 threads x 200 mixed ops on one namespace never see BUSY",
          "[d1][concurrency]") {
  Emu e;
  auto setup = e.post_json("/api/storage/d1/hot/exec",
                           {{"sql", "CREATE TABLE c (id INTEGER PRIMARY KEY, k INTEGER, v TEXT);"
                                    "CREATE INDEX c_k ON c(k)"}});
  REQUIRE(setup);
  REQUIRE(setup->status == 200);
  constexpr int kThreads = 8, kOps = 200;
  std::atomic<int> failures{0}, inserts{0};
  std::string first_failure;
  std::mutex fm;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client cli("127.0.0.1", e.emu->port());
      cli.set_read_timeout(30, 0);
      for (int i = 0; i < kOps; ++i) {
        json body;
        std::string path = "/api/storage/d1/hot/query";
        switch (i % 4) {
          case 0:
          case 1:
            body = {{"sql", "INSERT INTO c (k, v) VALUES (?, ?)"}, {"params", {t, "v" + std::to_string(i)}}};
            break;
          case 2:
            body = {{"sql", "SELECT count(*) AS n, max(id) AS m FROM c WHERE k = ?"}, {"params", {t}}};
            break;
          default:
            path = "/api/storage/d1/hot/batch";
            body = {{"statements",
                     {{{"sql", "UPDATE c SET v = v || '!' WHERE k = ? AND id % 7 = 0"}, {"params", {t}}},
                      {{"sql", "SELECT * FROM c WHERE k = ? LIMIT 5"}, {"params", {t}}}}}};
        }
        auto r = cli.Post(path, body.dump(), "application/json");
        if (!r || r->status != 200) {
          ++failures;
          std::lock_guard l(fm);
          if (first_failure.empty()) first_failure = r ? r->body : "no response";
        } else if (i % 4 < 2) {
          ++inserts;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO(first_failure);
  CHECK(failures == 0);
  auto n = e.post_json("/api/storage/d1/hot/query", {{"sql", "SELECT count(*) AS n FROM c"}});
  REQUIRE(n);
  CHECK(body_json(n)["results"][0]["n"] == inserts.load());
  CHECK(inserts == kThreads * kOps / 2);
}

TEST_CASE("d1 durability: kill -9 of era-emu loses no acknowledged write", "[d1][durability]") {
  TempDir dir;
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(ERA_EMU_BINARY, ERA_EMU_BINARY, "up", "--host", "127.0.0.1", "--port", "0", "--data",
          dir.path.c_str(), "--log-level", "error", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[256] = {0};
  REQUIRE(fgets(line, sizeof line, f));
  std::string url(line);
  REQUIRE(url.starts_with("ERA_STORAGE_URL=http://127.0.0.1:"));
  int port = std::stoi(url.substr(url.rfind(':') + 1));
  httplib::Client cli("127.0.0.1", port);
  auto post = [&](const std::string& sql) {
    return cli.Post("/api/storage/d1/app/query", json{{"sql", sql}}.dump(), "application/json");
  };
  auto c = post("CREATE TABLE t (x INTEGER)");
  REQUIRE(c);
  REQUIRE(c->status == 200);
  int acked = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = post("INSERT INTO t VALUES (" + std::to_string(i) + ")");
    if (r && r->status == 200) ++acked;
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  fclose(f);
  REQUIRE(acked == 200);

  Emu e(Emu::on_dir(dir.path.string()));
  auto r = e.post_json("/api/storage/d1/app/query", {{"sql", "SELECT count(*) AS n, sum(x) AS s FROM t"}});
  REQUIRE(r);
  json j = body_json(r);
  CHECK(j["results"][0]["n"] == 200);
  CHECK(j["results"][0]["s"] == 199 * 200 / 2);
}
