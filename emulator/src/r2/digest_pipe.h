#pragma once
// Digests a large upload on a helper thread while the receiving thread goes on reading and
// writing: MD5 runs at ~650 MB/s on one core, so hashing inline caps an upload near half that
// once the socket reads and file writes are added. Buffers are digested in the order pushed.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"

namespace era::r2 {

class DigestPipe {
 public:
  // The digests are updated only by the helper thread until finish() returns.
  explicit DigestPipe(std::vector<core::Digest*> digests);
  ~DigestPipe();  // abandons what is still queued (a failed upload) and joins
  DigestPipe(const DigestPipe&) = delete;
  DigestPipe& operator=(const DigestPipe&) = delete;

  // Queues a filled buffer; returns an empty one to fill next. Waits while the helper is a
  // buffer behind, so an upload holds at most three buffers.
  std::string push(std::string full);
  // Waits until every pushed buffer is digested; the digests are then the caller's again.
  void finish();

 private:
  void run();

  std::vector<core::Digest*> digests_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> todo_;
  std::vector<std::string> spare_;
  bool closing_ = false;
  bool abandon_ = false;
  std::thread worker_;
};

}  // namespace era::r2
