#include "app/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>

#include "core/log.h"

namespace era::app {
namespace fs = std::filesystem;
namespace {

Result<int> lock(const std::string& dir) {
  std::string lock_path = (fs::path(dir) / "era-emu.lock").string();
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail(Code::START_FAILED, "data dir " + dir + " is not writable: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string owner = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
    return fail(Code::START_FAILED, "data dir " + dir +
                                        " is locked by another running era-emu (pid " + owner +
                                        "); stop it or use another --data dir");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(fd);
    return fail(Code::START_FAILED, "data dir " + dir + " is not writable: " + std::strerror(err));
  }
  return fd;
}

// A --memory instance that died without cleaning up (kill -9, OOM, a crash) left its directory,
// possibly in RAM. Its lock is free once no process holds it, so every era-emu-* directory under
// `base` whose lock can be taken, and that is older than a few seconds (a brand-new one may not
// have taken its lock yet), is removed. Returns how many were.
size_t sweep_stale(const std::string& base) {
  size_t removed = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (auto it = fs::directory_iterator(base, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path dir = it->path();
    if (!dir.filename().string().starts_with("era-emu-") || !it->is_directory(ec)) continue;
    const fs::path lock_file = dir / "era-emu.lock";
    auto age = now - fs::last_write_time(lock_file, ec);
    if (ec) {  // no lock file: only a directory abandoned for a while
      ec.clear();
      age = now - fs::last_write_time(dir, ec);
      if (ec || age < std::chrono::minutes(1)) {
        ec.clear();
        continue;
      }
      fs::remove_all(dir, ec);
      removed += !ec;
      ec.clear();
      continue;
    }
    if (age < std::chrono::seconds(5)) continue;
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {  // its owner is gone
      fs::remove_all(dir, ec);
      removed += !ec;
      ec.clear();
    }
    ::close(fd);
  }
  return removed;
}

}  // namespace

Result<DataDir> DataDir::open(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(Code::START_FAILED, "cannot create data dir " + path + ": " + ec.message());
  if (::access(path.c_str(), W_OK) != 0)
    return fail(Code::START_FAILED, "data dir " + path + " is not writable: " + std::strerror(errno));
  auto fd = lock(path);
  if (!fd) return fail(fd.error());
  return DataDir(path, *fd, false);
}

Result<DataDir> DataDir::temporary() {
  std::string base = "/tmp";
  if (::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
  if (size_t n = sweep_stale(base)) log::info("removed ", n, " data dir(s) left in ", base, " by --memory instances that did not exit cleanly");
  std::string templ = base + "/era-emu-XXXXXX";
  if (!::mkdtemp(templ.data()))
    return fail(Code::START_FAILED, "cannot create a temp data dir in " + base + ": " + std::strerror(errno));
  auto fd = lock(templ);
  if (!fd) return fail(fd.error());
  return DataDir(templ, *fd, true);
}

DataDir::DataDir(DataDir&& o) noexcept : path_(std::move(o.path_)), lock_fd_(o.lock_fd_), remove_(o.remove_) {
  o.lock_fd_ = -1;
  o.remove_ = false;
}

DataDir::~DataDir() {
  if (remove_ && !path_.empty()) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace era::app
