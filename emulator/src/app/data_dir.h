#pragma once
// The data directory's lifecycle: create, prove writable, lock against a second instance,
// and (for --memory) create a private temp dir and remove it at the end.
#include <string>

#include "core/result.h"

namespace era::app {

class DataDir {
 public:
  // Creates `path` if needed and takes an exclusive lock (era-emu.lock holding our pid).
  static Result<DataDir> open(const std::string& path);
  // A fresh private directory (in /dev/shm when available), removed by the destructor.
  static Result<DataDir> temporary();

  DataDir(DataDir&& o) noexcept;
  DataDir& operator=(DataDir&&) = delete;
  ~DataDir();

  const std::string& path() const { return path_; }

 private:
  DataDir(std::string path, int lock_fd, bool remove) : path_(std::move(path)), lock_fd_(lock_fd), remove_(remove) {}
  std::string path_;
  int lock_fd_ = -1;
  bool remove_ = false;
};

}  // namespace era::app
