#include "app/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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
