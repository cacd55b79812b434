#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "core/clock.h"
#include "core/time_util.h"

namespace era::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mu;
constexpr const char* kNames[] = {"debug", "info", "warn", "error", "off"};
}  // namespace

void set_level(Level l) { g_level.store(l, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view name, Level& out) {
  for (int i = 0; i <= 4; ++i)
    if (name == kNames[i]) {
      out = static_cast<Level>(i);
      return true;
    }
  return false;
}

void write(Level l, std::string_view message) {
  std::string line = core::iso8601_ms(core::Clock::wall_ms());
  line += " era-emu ";
  line += kNames[static_cast<int>(l)];
  line += ": ";
  line += message;
  line += '\n';
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace era::log
