#pragma once
// Black-box test support: a real emulator in this process on 127.0.0.1, port 0, private data
// dir; an HTTP client bound to it; JSON helpers. Every test gets its own instance.
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "era/emulator.h"

namespace era::test {

using json = nlohmann::json;

// A fresh temp directory removed at scope end.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
};

struct Emu {
  explicit Emu(Options o = {});
  // Starts on an existing data dir (for restart tests).
  static Options on_dir(const std::string& dir);

  std::unique_ptr<Emulator> emu;
  std::unique_ptr<httplib::Client> http;

  httplib::Result get(const std::string& path, const httplib::Headers& h = {});
  httplib::Result del(const std::string& path, const httplib::Headers& h = {});
  httplib::Result put_json(const std::string& path, const json& body, const httplib::Headers& h = {});
  httplib::Result post_json(const std::string& path, const json& body, const httplib::Headers& h = {});
  httplib::Result put_raw(const std::string& path, const std::string& body,
                          const std::string& content_type = "application/octet-stream",
                          const httplib::Headers& h = {});
  httplib::Result send(const std::string& method, const std::string& path, const std::string& body,
                       const httplib::Headers& h = {});
};

// Headers that sign a request to the S3 endpoint (/s3/...) with the default key pair, as the
// AWS SDKs do (header form, payload hash of `body`): Host, Authorization, X-Amz-Date, …
httplib::Headers s3_signed(const Emu& emu, const std::string& method, const std::string& target,
                           const std::string& body = "", const httplib::Headers& extra = {});

// Parses a response body; fails the current test (REQUIRE) if it is not JSON.
json body_json(const httplib::Result& r);
// Percent-encodes everything but unreserved characters and '/'.
std::string enc(const std::string& key);

// The virtual clock, through /_emu/time (REQUIRE on failure): freeze at an instant, move it on.
void freeze(Emu& emu, int64_t at_ms);
void advance(Emu& emu, int64_t ms);

// A TCP connection to 127.0.0.1:port (REQUIRE on failure); the caller closes the fd.
int connect_loopback(int port);

// The era-emu binary as a child process: its exit code and stdout + stderr. Each argument is
// shell-quoted; `env` ("NAME=value ...") goes before the command.
struct CliResult {
  int code = -1;
  std::string text;
};
CliResult run_era_emu(const std::vector<std::string>& args, const std::string& env = "");

// Sends raw bytes on a fresh socket (optionally half-closing it) and returns the whole response
// text, for the requests httplib's client will not send (short bodies, no body at all).
std::string raw_exchange(int port, const std::string& bytes, bool half_close);

}  // namespace era::test
