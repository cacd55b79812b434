#pragma once
// A real emulator in this process (127.0.0.1, port 0, private temp data dir) and a client on it.
#include <catch2/catch.hpp>
#include <memory>

#include "era/client.h"
#include "era/emulator.h"

namespace era::client::test {

inline std::unique_ptr<era::Emulator> start_emulator(era::Options o = {}) {
  o.host = "127.0.0.1";
  o.port = 0;
  o.memory = true;
  o.log_level = "warn";
  o.threads = 8;
  auto started = era::Emulator::start(o);
  if (!started) FAIL("emulator failed to start: " << started.error().message);
  return std::move(*started);
}

struct Emu {
  explicit Emu(era::Options o = {}) : emu(start_emulator(std::move(o))), client(Config{.url = emu->url()}) {}
  std::unique_ptr<era::Emulator> emu;
  Client client;
};

// REQUIRE that a Result holds a value; on failure print the Error.
#define REQUIRE_OK(expr)                                                   \
  do {                                                                     \
    auto&& era_r_ = (expr);                                                \
    if (!era_r_) FAIL(#expr " failed: " << era_r_.error().describe());     \
  } while (0)

}  // namespace era::client::test
