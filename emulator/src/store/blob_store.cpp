#include "store/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/crypto.h"

namespace era::store {
namespace fs = std::filesystem;
namespace {

Error io_error(std::string_view what, const std::string& path, int err = errno) {
  return Error(Code::STORE_IO, std::string(what) + " " + path + ": " + std::strerror(err));
}

}  // namespace

// ---------------------------------------------------------------- writer

BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : paths_(o.paths_), id_(std::move(o.id_)), fd_(o.fd_), tmp_(std::move(o.tmp_)),
      durable_(o.durable_), size_(o.size_) {
  o.fd_ = -1;
  o.tmp_.clear();
}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

Status BlobWriter::write(const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail(io_error("write", tmp_));
    }
    data += w;
    n -= static_cast<size_t>(w);
    size_ += static_cast<uint64_t>(w);
  }
  return {};
}

Result<std::string> BlobWriter::commit() {
  if (fd_ < 0) return fail(Code::INTERNAL, "blob committed twice");
  if (durable_ && ::fsync(fd_) != 0) return fail(io_error("fsync", tmp_));
  ::close(fd_);
  fd_ = -1;
  fs::path dest = paths_->blob(id_);
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return fail(Code::STORE_IO, "mkdir " + dest.parent_path().string() + ": " + ec.message());
  if (::rename(tmp_.c_str(), dest.c_str()) != 0) return fail(io_error("rename", tmp_));
  tmp_.clear();
  if (durable_) {
    int dfd = ::open(dest.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return id_;
}

// ---------------------------------------------------------------- reader

BlobReader::BlobReader(BlobReader&& o) noexcept : fd_(o.fd_), size_(o.size_) { o.fd_ = -1; }
BlobReader::~BlobReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> BlobReader::read_at(uint64_t offset, char* buf, size_t n) const {
  for (;;) {
    ssize_t r = ::pread(fd_, buf, n, static_cast<off_t>(offset));
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return fail(Code::STORE_IO, std::string("pread: ") + std::strerror(errno));
  }
}

Result<std::string> BlobReader::read_all() const {
  std::string out(size_, '\0');
  uint64_t off = 0;
  while (off < size_) {
    auto r = read_at(off, out.data() + off, size_ - off);
    if (!r) return fail(r.error());
    if (*r == 0) return fail(Code::STORE_CORRUPT, "blob shorter than recorded size");
    off += *r;
  }
  return out;
}

// ---------------------------------------------------------------- store

Status BlobStore::init() {
  std::error_code ec;
  fs::create_directories(paths_.blob_tmp_dir(), ec);
  if (ec) return fail(Code::STORE_IO, "cannot create " + paths_.blob_tmp_dir().string() + ": " + ec.message());
  return {};
}

Result<BlobWriter> BlobStore::create() {
  std::string id = core::random_id(16);
  std::string tmp = (paths_.blob_tmp_dir() / (id + ".tmp")).string();
  int fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == ENOENT) {  // the tmp dir vanished (e.g. a reset); recreate once
      ERA_TRY(init());
      fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    }
    if (fd < 0) return fail(io_error("create", tmp));
  }
  return BlobWriter(&paths_, std::move(id), fd, std::move(tmp), durable_);
}

Result<BlobReader> BlobStore::open(std::string_view id) const {
  std::string path = paths_.blob(id).string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(io_error("open", path));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(io_error("stat", path, err));
  }
  return BlobReader(fd, static_cast<uint64_t>(st.st_size));
}

Status BlobStore::remove(std::string_view id) {
  if (id.empty()) return {};  // an inline body (r2/object.h) has no file
  std::string path = paths_.blob(id).string();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail(io_error("unlink", path));
  return {};
}

Status BlobStore::link_to(std::string_view id, const fs::path& dest) const {
  std::string src = paths_.blob(id).string();
  if (::link(src.c_str(), dest.c_str()) != 0) return fail(io_error("link", src));
  return {};
}

Status BlobStore::copy_to(std::string_view id, const fs::path& dest) const {
  std::string src = paths_.blob(id).string();
  if (::link(src.c_str(), dest.c_str()) == 0) return {};
  if (errno != EXDEV && errno != EPERM && errno != EMLINK) return fail(io_error("link", src));
  std::error_code ec;
  fs::copy_file(src, dest, fs::copy_options::overwrite_existing, ec);
  if (ec) return fail(Code::STORE_IO, "cannot copy " + src + " to " + dest.string() + ": " + ec.message());
  return {};
}

Status BlobStore::for_each(const std::function<Status(const std::string& id)>& fn) const {
  std::error_code ec;
  const fs::path root = paths_.blobs_dir();
  for (auto shard = fs::directory_iterator(root, ec); !ec && shard != fs::directory_iterator();
       shard.increment(ec)) {
    std::error_code e2;
    if (!shard->is_directory(e2) || shard->path() == paths_.blob_tmp_dir()) continue;
    for (auto f = fs::directory_iterator(shard->path(), e2); !e2 && f != fs::directory_iterator();
         f.increment(e2))
      ERA_TRY(fn(f->path().filename().string()));
    if (e2) return fail(Code::STORE_IO, "cannot list " + shard->path().string() + ": " + e2.message());
  }
  if (ec) return fail(Code::STORE_IO, "cannot list " + root.string() + ": " + ec.message());
  return {};
}

Result<size_t> BlobStore::sweep(const std::function<bool(std::string_view)>& is_live) {
  size_t removed = 0;
  std::error_code ec;
  if (!fs::exists(paths_.blobs_dir(), ec)) return removed;
  for (const auto& shard : fs::directory_iterator(paths_.blobs_dir(), ec)) {
    bool tmp = shard.path() == paths_.blob_tmp_dir();
    if (!shard.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(shard.path(), ec)) {
      std::string name = f.path().filename().string();
      if (tmp || !is_live(name)) {
        fs::remove(f.path(), ec);
        ++removed;
      }
    }
  }
  return removed;
}

Status BlobStore::clear() {
  std::error_code ec;
  for (const auto& shard : fs::directory_iterator(paths_.blobs_dir(), ec)) {
    if (shard.path() == paths_.blob_tmp_dir()) continue;  // in-flight uploads keep their temp files
    fs::remove_all(shard.path(), ec);
    if (ec) return fail(Code::STORE_IO, "clear " + shard.path().string() + ": " + ec.message());
  }
  return {};
}

}  // namespace era::store
