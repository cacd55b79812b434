// The HTTP/1.1 connection loop (api/http_front.cpp) on raw sockets: framing, pipelining,
// 100-continue, JSON answers to malformed requests, the lingering close after a refused body,
// and a stop() that does not wait for an idle keep-alive client.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "core/crypto.h"
#include "support.h"

using namespace era;
using namespace era::test;

namespace {

struct Socket {
  int fd = -1;
  explicit Socket(int port) : fd(connect_loopback(port)) {
    timeval tv{10, 0};  // a hung server fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Socket() { ::close(fd); }
  void send(const std::string& s) const {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      off += size_t(n);
    }
  }
  // One response: head, then Content-Length bytes of body.
  std::string response() {
    while (pending.find("\r\n\r\n") == std::string::npos) REQUIRE(more());
    size_t head = pending.find("\r\n\r\n") + 4;
    size_t len = 0;
    auto cl = pending.find("Content-Length: ");
    if (cl != std::string::npos && cl < head) len = std::stoul(pending.substr(cl + 16));
    while (pending.size() < head + len) REQUIRE(more());
    std::string r = pending.substr(0, head + len);
    pending.erase(0, head + len);
    return r;
  }
  bool closed_by_server() {  // EOF next (nothing more buffered)
    return pending.empty() && !more();
  }
  bool more() {
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, size_t(n));
    return true;
  }
  std::string pending;
};

std::string body_of(const std::string& resp) { return resp.substr(resp.find("\r\n\r\n") + 4); }

}  // namespace

TEST_CASE("http: pipelined requests are answered in order on one connection", "[http]") {
  Emu emu;
  Socket s(emu.emu->port());
  s.send(
      "PUT /api/storage/kv/app/k HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n{\"value\":\"one\"}"
      "GET /api/storage/kv/app/k HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/storage/kv/app/missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string put = s.response(), get = s.response(), missing = s.response();
  CHECK(put.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(get.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(json::parse(body_of(get))["value"] == "one");
  CHECK(missing.starts_with("HTTP/1.1 404 "));
  CHECK(missing.find("Connection: close\r\n") != std::string::npos);
  CHECK(s.closed_by_server());
}

TEST_CASE("http: malformed requests get a JSON error naming the problem", "[http]") {
  Emu emu;
  struct Case { std::string request; std::string status; std::string says; };
  std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", "400", "malformed request line"},
      {"GET /_emu/health HTTP/2.0\r\n\r\n", "400", "unsupported HTTP version"},
      {"GET _emu/health HTTP/1.1\r\n\r\n", "400", "must be a path"},
      {"GET /_emu/health HTTP/1.1\r\nno colon here\r\n\r\n", "400", "malformed header line"},
      {"PUT /api/storage/kv/app/k HTTP/1.1\r\nContent-Length: ten\r\n\r\n", "400", "Content-Length \\\"ten\\\""},
      {"PUT /api/storage/kv/app/k HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501", "chunked is"},
      {"GET /_emu/health HTTP/1.1\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n", "431", "exceed 65536 bytes"},
  };
  for (const auto& c : cases) {
    INFO(c.request.substr(0, 80));
    std::string resp = raw_exchange(emu.emu->port(), c.request, /*half_close=*/false);
    CHECK(resp.starts_with("HTTP/1.1 " + c.status + " "));
    CHECK(resp.find("Content-Type: application/json") != std::string::npos);
    CHECK(resp.find("\"code\":\"BAD_REQUEST\"") != std::string::npos);
    CHECK(resp.find(c.says) != std::string::npos);
  }
  CHECK(emu.get("/api/storage/kv/app/k")->status == 404);  // nothing was stored by any of them
}

TEST_CASE("http: Expect 100-continue is answered when the handler reads the body", "[http]") {
  Emu emu;
  Socket s(emu.emu->port());
  s.send("PUT /api/r2/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(s.response() == "HTTP/1.1 100 Continue\r\n\r\n");
  s.send("hello");
  std::string done = s.response();
  CHECK(done.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(emu.get("/api/r2/b/k")->body == "hello");

  // Refused before the body is read: no 100, just the answer, and the connection closes.
  s.send("PUT /api/r2/b/k2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
         "Content-MD5: bad\r\n\r\n");
  std::string refused = s.response();
  CHECK(refused.starts_with("HTTP/1.1 400 "));
  CHECK(refused.find("R2_INVALID_DIGEST") != std::string::npos);
  CHECK(s.closed_by_server());
}

TEST_CASE("http: a client still sending a refused body reads the refusal", "[http]") {
  Emu emu;
  const std::string body(4 << 20, 'z');
  Socket s(emu.emu->port());
  // The digest is checked only after the whole body: the server reads it all, then refuses.
  s.send("PUT /api/r2/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nContent-MD5: " + core::base64_encode(core::md5("other")) + "\r\n\r\n" + body);
  std::string late = s.response();
  CHECK(late.starts_with("HTTP/1.1 400 "));
  CHECK(late.find("R2_BAD_DIGEST") != std::string::npos);

  // Refused from the headers alone (a malformed digest), with 4 MiB still coming: the server
  // answers, stops writing and drains, so the client's send completes and it reads the answer.
  Socket t(emu.emu->port());
  t.send("PUT /api/r2/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nContent-MD5: !!\r\n\r\n" + body);
  std::string early = t.response();
  CHECK(early.starts_with("HTTP/1.1 400 "));
  CHECK(early.find("R2_INVALID_DIGEST") != std::string::npos);
  CHECK(emu.get("/api/r2/b/k")->status == 404);
}

TEST_CASE("http: HTTP/1.0 closes unless keep-alive is asked; HEAD sends the length, no body", "[http]") {
  Emu emu;
  REQUIRE(emu.put_raw("/api/r2/b/k", "0123456789")->status == 200);
  std::string one = raw_exchange(emu.emu->port(), "GET /api/r2/b/k HTTP/1.0\r\n\r\n", false);
  CHECK(one.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(one.find("Connection: close\r\n") != std::string::npos);
  CHECK(body_of(one) == "0123456789");

  Socket s(emu.emu->port());
  s.send("HEAD /api/r2/b/k HTTP/1.1\r\nHost: x\r\n\r\n");
  while (s.pending.find("\r\n\r\n") == std::string::npos) REQUIRE(s.more());
  CHECK(s.pending.find("Content-Length: 10\r\n") != std::string::npos);
  CHECK(s.pending.ends_with("\r\n\r\n"));  // no body follows on the kept-alive connection
  s.pending.clear();
  s.send("GET /_emu/health HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(s.response().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("http: stop() does not wait out an idle client's keep-alive", "[http]") {
  Emu emu;
  Socket idle(emu.emu->port());
  idle.send("GET /_emu/health HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(idle.response().starts_with("HTTP/1.1 200 OK\r\n"));
  emu.http.reset();  // the test client's own connection too
  auto t0 = std::chrono::steady_clock::now();
  emu.emu->stop();
  auto waited = std::chrono::steady_clock::now() - t0;
  // The keep-alive idle limit is 5 s; stop() is seen by idle connections within 200 ms.
  CHECK(waited < std::chrono::seconds(3));
  CHECK(idle.closed_by_server());
}
