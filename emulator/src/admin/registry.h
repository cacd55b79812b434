#pragma once
// /api/resources: the union of what the engines really hold (kv keys, r2 objects, d1 tables),
// computed on every call so it can never drift from the data, plus explicitly registered
// resources of other types (e.g. "do" for Durable Objects), persisted in the LMDB sys table.
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"

namespace era::store { class Lmdb; }
namespace era::kv { class Engine; }
namespace era::r2 { class Engine; }
namespace era::d1 { class Engine; }

namespace era::admin {

class Registry {
 public:
  Registry(store::Lmdb& db, kv::Engine& kv, r2::Engine& r2, d1::Engine& d1)
      : db_(db), kv_(kv), r2_(r2), d1_(d1) {}

  // Every resource matching the filter, newest update first (ties in type/namespace/key order).
  Result<std::vector<Resource>> list(const OpContext& ctx, const ResourceFilter& filter);

  // Registers a resource of a type the engines do not own (kv/r2/d1 are derived and refused
  // with INVALID_BODY). Re-registering keeps created_ms and bumps updated_ms.
  Result<Resource> put_custom(const OpContext& ctx, Resource r);
  // False when no such custom resource exists.
  Result<bool> remove_custom(std::string_view type, std::string_view ns, std::string_view key);
  Result<size_t> clear_custom();

 private:
  store::Lmdb& db_;
  kv::Engine& kv_;
  r2::Engine& r2_;
  d1::Engine& d1_;
};

}  // namespace era::admin
