#include "support.h"

#include "api/s3/sigv4.h"
#include "core/clock.h"
#include "core/time_util.h"

#include "core/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <random>

namespace era::test {

TempDir::TempDir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() /
         ("era-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Options Emu::on_dir(const std::string& dir) {
  Options o;
  o.data_dir = dir;
  return o;
}

Emu::Emu(Options o) {
  o.host = "127.0.0.1";
  o.port = 0;
  if (o.data_dir == Options{}.data_dir) o.memory = true;
  o.log_level = "warn";
  auto started = Emulator::start(o);
  if (!started) FAIL("emulator failed to start: " << started.error().message);
  emu = std::move(*started);
  http = std::make_unique<httplib::Client>("127.0.0.1", emu->port());
  http->set_read_timeout(30, 0);
  http->set_url_encode(false);  // tests send exactly the bytes they mean
  http->set_tcp_nodelay(true);  // no Nagle + delayed-ACK stall between header and body writes
}

httplib::Result Emu::get(const std::string& p, const httplib::Headers& h) { return http->Get(p, h); }
httplib::Result Emu::del(const std::string& p, const httplib::Headers& h) { return http->Delete(p, h); }
httplib::Result Emu::put_json(const std::string& p, const json& b, const httplib::Headers& h) {
  return http->Put(p, h, b.dump(), "application/json");
}
httplib::Result Emu::post_json(const std::string& p, const json& b, const httplib::Headers& h) {
  return http->Post(p, h, b.dump(), "application/json");
}
httplib::Result Emu::put_raw(const std::string& p, const std::string& body, const std::string& ct,
                             const httplib::Headers& h) {
  return http->Put(p, h, body, ct);
}
httplib::Result Emu::send(const std::string& method, const std::string& p, const std::string& body,
                          const httplib::Headers& h) {
  httplib::Request req;
  req.method = method;
  req.path = p;
  req.headers = h;
  req.body = body;
  return http->send(req);
}

httplib::Headers s3_signed(const Emu& emu, const std::string& method, const std::string& target,
                           const std::string& body, const httplib::Headers& extra) {
  std::string host = "127.0.0.1:" + std::to_string(emu.emu->port());
  std::vector<std::pair<std::string, std::string>> to_sign{{"Host", host}};
  for (const auto& [k, v] : extra) to_sign.emplace_back(k, v);
  // X-Amz-Date from the real clock: header-signed requests are not checked for skew.
  std::string iso = era::core::iso8601_ms(era::core::Clock::wall_ms());  // 2026-12-04T10:15:00.000Z
  std::string amz = iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + "T" + iso.substr(11, 2) +
                    iso.substr(14, 2) + iso.substr(17, 2) + "Z";
  auto added = era::api::s3::sign_request(method, target, to_sign, era::api::s3::hex_sha256(body), {}, amz);
  httplib::Headers h(extra.begin(), extra.end());
  h.emplace("Host", host);
  for (auto& [k, v] : added) h.emplace(k, v);
  return h;
}

json body_json(const httplib::Result& r) {
  REQUIRE(r);
  json j = json::parse(r->body, nullptr, false);
  INFO("body: " << r->body);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

std::string enc(const std::string& key) { return core::percent_encode(key, /*keep_slash=*/true); }

void freeze(Emu& emu, int64_t at_ms) {
  auto r = emu.post_json("/_emu/time", {{"freeze", true}, {"set", at_ms}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

void advance(Emu& emu, int64_t ms) {
  auto r = emu.post_json("/_emu/time", {{"advance_ms", ms}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

CliResult run_era_emu(const std::vector<std::string>& args, const std::string& env) {
  auto quote = [](const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  };
  std::string cmd = env + " " + quote(ERA_EMU_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>&1";
  CliResult out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  int st = pclose(p);
  out.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string raw_exchange(int port, const std::string& bytes, bool half_close) {
  int fd = connect_loopback(port);
  REQUIRE(::send(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace era::test
