#pragma once
// D1 semantics (placeholder until the D1 engine lands).
#include <functional>
#include <string_view>

#include "core/op_context.h"
#include "core/resource.h"
#include "core/result.h"

namespace era::core { class Clock; }
namespace era::store { class Paths; }

namespace era::d1 {

class Engine {
 public:
  Engine(const store::Paths& paths, core::Clock& clock) : paths_(paths), clock_(clock) {}
  Result<size_t> clear(std::string_view) { return size_t(0); }
  Status list_resources(const OpContext&, const ResourceFilter&,
                        const std::function<void(Resource&&)>&) { return {}; }

 private:
  [[maybe_unused]] const store::Paths& paths_;
  [[maybe_unused]] core::Clock& clock_;
};

}  // namespace era::d1
