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

 private:
  mutable std::mutex mu_;
  Mode mode_ = Mode::real;
  int64_t frozen_ms_ = 0;
  int64_t offset_ms_ = 0;
};

}  // namespace era::core
