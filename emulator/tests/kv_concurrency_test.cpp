// Many writers on one key: every read sees one whole written value (no torn values), every write
// is acknowledged, and the last write wins once the writers are done.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "support.h"

using namespace era::test;

namespace {

// A value that identifies its writer and is easy to check for tearing: one letter repeated.
std::string value_for(int thread, int round) {
  return std::string(64 * 1024, static_cast<char>('A' + (thread * 7 + round) % 26));
}

bool uniform(const std::string& v) {
  return v.size() == 64 * 1024 && std::all_of(v.begin(), v.end(), [&](char c) { return c == v[0]; });
}

}  // namespace

TEST_CASE("kv concurrency: N writers on one key never tear a value; last write wins",
          "[kv][concurrency]") {
  Emu emu;
  constexpr int kThreads = 8, kRounds = 25;
  std::atomic<int> failures{0}, torn{0}, reads{0};
  std::atomic<bool> done{false};
  const int port = emu.emu->port();

  std::thread reader([&] {
    httplib::Client c("127.0.0.1", port);
    while (!done) {
      auto r = c.Get("/api/storage/kv/conc/k");
      if (!r) continue;
      if (r->status == 404) continue;
      json j = json::parse(r->body, nullptr, false);
      if (j.is_discarded() || !uniform(j.value("value", std::string()))) ++torn;
      ++reads;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      for (int i = 0; i < kRounds; ++i) {
        json body = {{"value", value_for(t, i)}};
        auto r = c.Put("/api/storage/kv/conc/k", body.dump(), "application/json");
        if (!r || r->status != 200) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  CHECK(failures == 0);
  CHECK(torn == 0);
  CHECK(reads > 0);

  auto r = emu.get("/api/storage/kv/conc/k");
  REQUIRE(r->status == 200);
  CHECK(uniform(body_json(r)["value"]));
  // Once the writers are done, a final write is the value everyone gets.
  std::string last(64 * 1024, 'z');
  REQUIRE(emu.put_json("/api/storage/kv/conc/k", {{"value", last}})->status == 200);
  CHECK(body_json(emu.get("/api/storage/kv/conc/k"))["value"] == last);
}
