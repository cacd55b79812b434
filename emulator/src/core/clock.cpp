#include "core/clock.h"

#include <chrono>

namespace era::core {

int64_t Clock::wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t Clock::now_ms() const {
  std::lock_guard lock(mu_);
  switch (mode_) {
    case Mode::frozen: return frozen_ms_;
    case Mode::offset: return wall_ms() + offset_ms_;
    case Mode::real: break;
  }
  return wall_ms();
}

Clock::Mode Clock::mode() const {
  std::lock_guard lock(mu_);
  return mode_;
}

void Clock::freeze() {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::frozen) return;
  frozen_ms_ = wall_ms() + (mode_ == Mode::offset ? offset_ms_ : 0);
  mode_ = Mode::frozen;
}

void Clock::resume() {
  std::lock_guard lock(mu_);
  if (mode_ != Mode::frozen) return;
  offset_ms_ = frozen_ms_ - wall_ms();
  mode_ = offset_ms_ == 0 ? Mode::real : Mode::offset;
}

void Clock::advance_ms(int64_t delta) {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::frozen) {
    frozen_ms_ += delta;
  } else {
    offset_ms_ += delta;
    mode_ = Mode::offset;
  }
}

void Clock::set_ms(int64_t epoch_ms) {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::frozen) {
    frozen_ms_ = epoch_ms;
  } else {
    offset_ms_ = epoch_ms - wall_ms();
    mode_ = Mode::offset;
  }
}

void Clock::reset() {
  std::lock_guard lock(mu_);
  mode_ = Mode::real;
  offset_ms_ = frozen_ms_ = 0;
}

std::string_view Clock::mode_name(Mode m) {
  switch (m) {
    case Mode::frozen: return "frozen";
    case Mode::offset: return "offset";
    case Mode::real: break;
  }
  return "real";
}

}  // namespace era::core
