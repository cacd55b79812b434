#pragma once
// Large bodies between files and the emulator in constant memory: the R2 binary route
// (PUT/GET /api/r2/{bucket}/{key}) streamed from and into files, with a progress bar on a
// terminal, plus the content type a file's extension implies.
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli/client.h"

namespace era::cli {

// "image/png" for "a.PNG"; application/octet-stream for anything not in the table.
std::string content_type_for(const std::string& path);

// A one-line progress bar on stderr, redrawn at most ~10 times a second, only when stderr is a
// terminal (nothing at all otherwise, so scripts and CI logs stay clean). total < 0: unknown.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();
  void update(int64_t done);
  void finish();  // final redraw and newline (once)
  bool shown() const { return tty_; }

 private:
  void draw(bool last);
  std::string label_;
  int64_t total_, done_ = 0;
  bool tty_, finished_ = false;
  int64_t started_us_, drawn_us_ = 0;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// PUT path with the body read from `in` (a file, or stdin when size < 0: sent chunked).
Reply upload(const Conn& c, const std::string& path, const HeaderList& headers, std::FILE* in,
             int64_t size, ProgressBar& bar);

struct Download {
  Reply reply;  // body holds the answer only when it is an error (status >= 400)
  int64_t bytes = 0;
  std::string content_type, etag;
};
// GET path with a 2xx body written to `out` as it arrives.
Download download(const Conn& c, const std::string& path, std::FILE* out, const std::string& label);

}  // namespace era::cli
