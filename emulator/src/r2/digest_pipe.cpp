#include "r2/digest_pipe.h"

#include <utility>

namespace era::r2 {

namespace {
constexpr size_t kMaxQueued = 1;  // + one being digested + one being filled
}

DigestPipe::DigestPipe(std::vector<core::Digest*> digests) : digests_(std::move(digests)) {
  worker_ = std::thread([this] { run(); });
}

DigestPipe::~DigestPipe() {
  {
    std::lock_guard lock(mu_);
    closing_ = abandon_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::string DigestPipe::push(std::string full) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return todo_.size() < kMaxQueued; });
  todo_.push_back(std::move(full));
  std::string next;
  if (!spare_.empty()) {
    next = std::move(spare_.back());
    spare_.pop_back();
  }
  lock.unlock();
  cv_.notify_all();
  next.clear();
  return next;
}

void DigestPipe::finish() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void DigestPipe::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return !todo_.empty() || closing_; });
    if (abandon_ || todo_.empty()) return;  // closing with nothing left, or an abandoned upload
    std::string buf = std::move(todo_.front());
    todo_.pop_front();
    lock.unlock();
    cv_.notify_all();  // a slot in the queue is free
    for (core::Digest* d : digests_) d->update(buf.data(), buf.size());
    lock.lock();
    spare_.push_back(std::move(buf));
  }
}

}  // namespace era::r2
