#pragma once
// The reset/restore barrier. Every guarded storage call holds it shared for its whole duration;
// reset, snapshot, restore and seed hold it exclusively, so no request ever sees a half-reset
// or half-restored emulator. Writer-preferring (a waiting reset blocks new readers), so a
// steady stream of requests cannot starve a reset. Not recursive: a thread that holds it must
// not take it again (control routes therefore never hold it through the guard).
#include <pthread.h>
#include <time.h>

#include <chrono>

namespace era::admin {

class StateLock {
 public:
  StateLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&rw_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~StateLock() { pthread_rwlock_destroy(&rw_); }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  void lock_shared() { pthread_rwlock_rdlock(&rw_); }
  void unlock_shared() { pthread_rwlock_unlock(&rw_); }
  void lock() { pthread_rwlock_wrlock(&rw_); }
  // lock(), giving up after `wait`: false when requests still held it shared by then (new ones
  // waited meanwhile, and go on when this gives up).
  bool try_lock_for(std::chrono::milliseconds wait) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    auto ns = std::chrono::nanoseconds(ts.tv_nsec) + wait;
    ts.tv_sec += time_t(std::chrono::duration_cast<std::chrono::seconds>(ns).count());
    ts.tv_nsec = long((ns % std::chrono::seconds(1)).count());
    return pthread_rwlock_clockwrlock(&rw_, CLOCK_MONOTONIC, &ts) == 0;
  }
  void unlock() { pthread_rwlock_unlock(&rw_); }

 private:
  pthread_rwlock_t rw_;
};

}  // namespace era::admin
