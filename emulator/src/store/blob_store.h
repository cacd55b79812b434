#pragma once
// R2 object bodies as immutable files named by generated ids (never by user keys).
//
// Crash argument: a body is written to blobs/tmp/<id>.tmp, fsync'ed when durable, and renamed
// to blobs/<ab>/<id> *before* the LMDB transaction that points at it commits. A crash between
// the rename and the commit leaves an orphan blob, never a dangling pointer; the start-up sweep
// removes orphans and leftover temp files. Blobs are never modified in place, so a reader that
// opened one keeps a consistent body even if the object is overwritten or deleted meanwhile.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/paths.h"

namespace era::store {

class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  ~BlobWriter();  // removes the temp file unless committed

  Status write(const char* data, size_t n);
  uint64_t size() const { return size_; }
  const std::string& id() const { return id_; }  // the name commit() will give it
  // Makes the blob permanent under its id; the caller then records the id in LMDB.
  Result<std::string> commit();

 private:
  friend class BlobStore;
  BlobWriter(const Paths* paths, std::string id, int fd, std::string tmp, bool durable)
      : paths_(paths), id_(std::move(id)), fd_(fd), tmp_(std::move(tmp)), durable_(durable) {}
  const Paths* paths_;
  std::string id_;
  int fd_;
  std::string tmp_;
  bool durable_;
  uint64_t size_ = 0;
};

class BlobReader {
 public:
  BlobReader(BlobReader&&) noexcept;
  BlobReader& operator=(BlobReader&&) = delete;
  ~BlobReader();
  uint64_t size() const { return size_; }
  // Reads up to n bytes at offset; returns bytes read (0 at end).
  Result<size_t> read_at(uint64_t offset, char* buf, size_t n) const;
  Result<std::string> read_all() const;
  int fd() const { return fd_; }

 private:
  friend class BlobStore;
  BlobReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

class BlobStore {
 public:
  BlobStore(const Paths& paths, bool durable) : paths_(paths), durable_(durable) {}
  Status init();

  Result<BlobWriter> create();
  Result<BlobReader> open(std::string_view id) const;
  // Removing a missing blob is not an error; the empty id (no blob) is a no-op.
  Status remove(std::string_view id);
  // A second name for the same body (hard link), e.g. for snapshots.
  Status link_to(std::string_view id, const std::filesystem::path& dest) const;
  // A hard link when dest is on the same file system, else a full copy (an export out of a
  // --memory data dir in /dev/shm).
  Status copy_to(std::string_view id, const std::filesystem::path& dest) const;
  // Calls fn with the id of every stored body (not in-flight temp files), stopping at the first
  // failure; a directory that cannot be listed fails too.
  Status for_each(const std::function<Status(const std::string& id)>& fn) const;
  // Deletes temp files and every blob for which is_live(id) is false. Returns how many.
  Result<size_t> sweep(const std::function<bool(std::string_view id)>& is_live);
  // Deletes every blob (reset).
  Status clear();

  const Paths& paths() const { return paths_; }

 private:
  const Paths& paths_;
  bool durable_;
};

}  // namespace era::store
