#pragma once
// Declared-products test helpers: write an era-emu.json (and migration files) into a temp dir,
// start an in-process emulator on it with the virtual clock frozen at a known instant.
#include <fstream>
#include <string>

#include "support.h"

namespace era::test {

inline constexpr int64_t kT0 = 1'893'456'000'000;  // 2030-01-01T00:00:00Z
inline constexpr int64_t kDayMs = 86'400'000;

inline std::string write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

// Options for an emulator reading `config` (a path), clock frozen at kT0.
inline Options with_config(const std::string& config, bool strict = false) {
  Options o;
  o.config_file = config;
  o.strict = strict;
  o.clock_mode = "frozen";
  o.clock_start_ms = kT0;
  o.sweep_interval_ms = 0;  // tests drive sweeps through the engines, never by waiting
  return o;
}

// Moves the virtual clock to kT0 + ms.
inline void clock_at(Emu& e, int64_t ms_after_t0) {
  auto now = body_json(e.get("/_emu/time"))["now_ms"].get<int64_t>();
  auto r = e.post_json("/_emu/time", {{"advance_ms", kT0 + ms_after_t0 - now}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

}  // namespace era::test
