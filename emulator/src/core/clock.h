#pragma once
// The one source of "now" for every semantic decision (KV expiry, propagation, lifecycle,
// signed-URL expiry, D1's CURRENT_TIMESTAMP). Engines receive the time read once per
// operation; nothing else calls std::chrono::system_clock.
//
// Modes: real (wall clock), frozen (time stands still until advanced or set), offset (wall
// clock shifted by a fixed amount, what advance/set produce while running). Thread-safe.
#include <cstdint>
#include <mutex>
#include <string_view>

namespace era::core {

class Clock {
 public:
  enum class Mode { real, frozen, offset };

  // Milliseconds since the UNIX epoch, virtual.
  int64_t now_ms() const;
  Mode mode() const;

  void freeze();                   // stop at the current virtual instant
  void resume();                   // run again from the current virtual instant
  void advance_ms(int64_t delta);  // move forward (negative moves back); keeps the mode
  void set_ms(int64_t epoch_ms);   // jump to an instant; keeps frozen/running
  void reset();                    // back to real time

  static int64_t wall_ms();
  static std::string_view mode_name(Mode m);

  // The instants the clock may show: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, what
  // ISO-8601, KV expirations and SQLite's date functions all represent. Callers refuse set /
  // advance outside it (the clock itself would wrap at INT64_MAX).
  static constexpr int64_t kMinMs = 0;
  static constexpr int64_t kMaxMs = 253'402'300'799'999;
  static bool in_range(int64_t ms) { return ms >= kMinMs && ms <= kMaxMs; }

 private:
  mutable std::mutex mu_;
  Mode mode_ = Mode::real;
  int64_t frozen_ms_ = 0;
  int64_t offset_ms_ = 0;
};

}  // namespace era::core
