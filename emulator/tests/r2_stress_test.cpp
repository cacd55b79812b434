// R2 under concurrency and size: racing conditional puts, torn-read checks, strong
// consistency per client, and a 64 MiB object streamed in and out with flat memory.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "core/crypto.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

std::unique_ptr<httplib::Client> client(Emu& emu) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", emu.emu->port());
  c->set_read_timeout(60, 0);
  c->set_url_encode(false);
  return c;
}

long vm_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("r2 concurrency: racing conditional puts, exactly one wins", "[r2][concurrency]") {
  Emu emu;
  for (int round = 0; round < 5; ++round) {
    std::string path = "/api/r2/b/race" + std::to_string(round);
    std::atomic<int> ok{0}, refused{0}, other{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t)
      ts.emplace_back([&, t] {
        auto c = client(emu);
        auto r = c->Put(path, {{"If-None-Match", "*"}}, "writer " + std::to_string(t), "text/plain");
        if (r && r->status == 200) ++ok;
        else if (r && r->status == 412) ++refused;
        else ++other;
      });
    for (auto& t : ts) t.join();
    CHECK(ok == 1);
    CHECK(refused == 7);
    CHECK(other == 0);

    // Compare-and-swap from the same etag: again one winner.
    std::string etag = emu.get(path)->get_header_value("ETag");
    ok = refused = other = 0;
    ts.clear();
    for (int t = 0; t < 8; ++t)
      ts.emplace_back([&, t] {
        auto c = client(emu);
        auto r = c->Put(path, {{"If-Match", etag}}, "cas " + std::to_string(t), "text/plain");
        if (r && r->status == 200) ++ok;
        else if (r && r->status == 412) ++refused;
        else ++other;
      });
    for (auto& t : ts) t.join();
    CHECK(ok == 1);
    CHECK(refused == 7);
    CHECK(other == 0);
  }
}

TEST_CASE("r2 concurrency: readers never see a torn object", "[r2][concurrency]") {
  Emu emu;
  const std::string path = "/api/r2/b/hot";
  REQUIRE(emu.put_raw(path, std::string(1000, 'a'))->status == 200);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0}, errors{0};
  std::vector<std::thread> writers, readers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&, w] {
      auto c = client(emu);
      for (int i = 0; i < 60; ++i) {
        // Every version is one repeated byte with its own length, so a mix is detectable.
        char ch = static_cast<char>('b' + (w * 60 + i) % 24);
        size_t len = 1000 + static_cast<size_t>((w * 60 + i) * 997 % 300000);
        auto r = c->Put(path, std::string(len, ch), "application/octet-stream");
        if (!r || r->status != 200) ++errors;
      }
    });
  for (int rd = 0; rd < 4; ++rd)
    readers.emplace_back([&] {
      auto c = client(emu);
      while (!stop) {
        auto r = c->Get(path);
        if (!r || r->status != 200) {
          ++errors;
          continue;
        }
        ++reads;
        const std::string& b = r->body;
        bool uniform = !b.empty() && b.find_first_not_of(b[0]) == std::string::npos;
        std::string etag = "\"" + core::to_hex(core::md5(b)) + "\"";
        if (!uniform || r->get_header_value("ETag") != etag ||
            r->get_header_value("Content-Length") != std::to_string(b.size()))
          ++torn;
      }
    });
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(reads > 0);
  CHECK(torn == 0);
  CHECK(errors == 0);
}

TEST_CASE("r2 concurrency: read-after-write, list-after-write, delete-then-miss per client",
          "[r2][concurrency]") {
  Emu emu;
  std::atomic<int> violations{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 6; ++t)
    ts.emplace_back([&, t] {
      auto c = client(emu);
      for (int i = 0; i < 25; ++i) {
        std::string key = "t" + std::to_string(t) + "/k" + std::to_string(i);
        std::string body = key + ":" + std::to_string(i);
        auto p = c->Put("/api/r2/b/" + key, body, "text/plain");
        if (!p || p->status != 200) { ++violations; continue; }
        auto g = c->Get("/api/r2/b/" + key);
        if (!g || g->status != 200 || g->body != body) ++violations;
        auto l = c->Get("/api/r2/b?prefix=" + key);
        if (!l || json::parse(l->body)["objects"].size() != 1) ++violations;
        auto d = c->Delete("/api/r2/b/" + key);
        if (!d || d->status != 204) ++violations;
        auto m = c->Get("/api/r2/b/" + key);
        if (!m || m->status != 404) ++violations;
      }
    });
  for (auto& t : ts) t.join();
  CHECK(violations == 0);
  CHECK(body_json(emu.get("/api/r2/b"))["objects"].empty());
}

TEST_CASE("r2 big object: 64 MiB streamed in and out with flat memory", "[r2][big]") {
  Emu emu;
  constexpr size_t kSize = size_t(64) << 20;
  auto byte_at = [](size_t i) { return static_cast<char>((i * 2654435761u) >> 13); };
  auto c = client(emu);
  long before = vm_rss_kib();

  core::Digest sent(core::Digest::Alg::md5);
  auto put = c->Put(
      "/api/r2/b/big", kSize,
      [&](size_t offset, size_t length, httplib::DataSink& sink) {
        char buf[65536];
        size_t n = std::min(length, sizeof buf);
        for (size_t i = 0; i < n; ++i) buf[i] = byte_at(offset + i);
        sent.update(buf, n);
        return sink.write(buf, n);
      },
      "application/octet-stream");
  REQUIRE(put);
  INFO(put->body);
  REQUIRE(put->status == 200);
  std::string etag = core::to_hex(sent.finish());
  CHECK(body_json(put)["etag"] == etag);
  CHECK(body_json(put)["size"] == kSize);

  core::Digest got(core::Digest::Alg::md5);
  size_t received = 0;
  bool in_order = true;
  auto get = c->Get("/api/r2/b/big", [&](const char* d, size_t n) {
    for (size_t i = 0; i < n; i += 4099)
      if (d[i] != byte_at(received + i)) in_order = false;
    got.update(d, n);
    received += n;
    return true;
  });
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(received == kSize);
  CHECK(in_order);
  CHECK(core::to_hex(got.finish()) == etag);
  long after = vm_rss_kib();
  INFO("VmRSS before " << before << " KiB, after " << after << " KiB");
  CHECK(after - before < 24 * 1024);  // far below the 64 MiB object

  // A range at the far end without reading the rest.
  auto tail = c->Get("/api/r2/b/big", {{"Range", "bytes=-5"}});
  REQUIRE(tail);
  CHECK(tail->status == 206);
  REQUIRE(tail->body.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(tail->body[i] == byte_at(kSize - 5 + i));
}
