#pragma once
// R2 semantics (placeholder until the R2 engine lands).
#include <functional>
#include <string_view>

#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"

namespace era::store { class Lmdb; class BlobStore; }

namespace era::r2 {

class Engine {
 public:
  Engine(store::Lmdb& db, store::BlobStore& blobs) : db_(db), blobs_(blobs) {}
  // Start-up: remove blobs no object points at (crash leftovers).
  Result<size_t> sweep_orphans() { return size_t(0); }
  Result<size_t> sweep(int64_t) { return size_t(0); }
  Result<size_t> clear(std::string_view) { return size_t(0); }
  Status list_resources(const OpContext&, const ResourceFilter&,
                        const std::function<void(Resource&&)>&) { return {}; }

 private:
  [[maybe_unused]] store::Lmdb& db_;
  [[maybe_unused]] store::BlobStore& blobs_;
};

}  // namespace era::r2
