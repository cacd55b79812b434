#pragma once
// Minimal leveled logging to stderr (stdout is reserved for the ready line and CLI output).
#include <sstream>
#include <string>
#include <string_view>

namespace era::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view name, Level& out);
void write(Level level, std::string_view message);

template <class... Args>
void emit(Level lvl, Args&&... args) {
  if (lvl < level()) return;
  std::ostringstream os;
  (os << ... << args);
  write(lvl, os.str());
}
template <class... A> void debug(A&&... a) { emit(Level::debug, std::forward<A>(a)...); }
template <class... A> void info(A&&... a) { emit(Level::info, std::forward<A>(a)...); }
template <class... A> void warn(A&&... a) { emit(Level::warn, std::forward<A>(a)...); }
template <class... A> void error(A&&... a) { emit(Level::error, std::forward<A>(a)...); }

}  // namespace era::log
