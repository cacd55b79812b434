// Per-test overhead of the C++ testkit: emu.reset() then emu.event_mark() — what a fixture does
// between tests — timed after a typical test's writes (5 KV keys, an R2 object, a D1 row).
// A benchmark, not a test: bench/bench.py runs it and reports the numbers against the 5 ms target.
//
//   era_testkit_reset_bench N [URL]   URL: attach to a running era-emu; none: start one in-process
//   prints {"samples_ms": [...]} on stdout; exit 1 if a reset left data behind or a call failed
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <iostream>
#include <string>
#include <vector>

#include "era/testkit/emulator.h"

using era::testkit::Emulator;

int main(int argc, char** argv) {
  if (argc < 2 || std::atoi(argv[1]) <= 0) {
    std::cerr << "usage: era_testkit_reset_bench N [URL]\n";
    return 2;
  }
  const int rounds = std::atoi(argv[1]);
  try {
    auto emu = argc > 2 ? Emulator::attach(argv[2], std::getenv("ERA_EMU_TOKEN") ? std::getenv("ERA_EMU_TOKEN") : "")
                        : Emulator::start();
    auto kv = emu.client().kv("bench-app");
    auto r2 = emu.client().r2("bench-files");
    auto d1 = emu.client().d1("bench-db");
    auto must = [](const auto& result, const char* what) {
      if (!result) throw std::runtime_error(std::string(what) + ": " + result.error().describe());
    };
    std::vector<double> ms;
    ms.reserve(rounds);
    for (int i = 0; i < rounds; ++i) {
      for (int k = 0; k < 5; ++k) must(kv.put("k" + std::to_string(k), "v"), "KV put");
      must(r2.put("obj.txt", "body"), "R2 put");
      must(d1.exec("CREATE TABLE IF NOT EXISTS t (x INTEGER)"), "D1 create");
      must(d1.exec("INSERT INTO t VALUES (1)"), "D1 insert");
      auto t0 = std::chrono::steady_clock::now();
      emu.reset();
      emu.event_mark();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      auto left = kv.get("k0");
      must(left, "KV get after reset");
      if (left->has_value()) {
        std::cerr << "reset " << i << " left bench-app/k0 behind\n";
        return 1;
      }
    }
    std::cout << "{\"samples_ms\": [";
    for (size_t i = 0; i < ms.size(); ++i) std::cout << (i ? ", " : "") << ms[i];
    std::cout << "]}\n";
  } catch (const std::exception& e) {
    std::cerr << "era_testkit_reset_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
