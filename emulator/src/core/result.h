#pragma once
// Result<T> carries failures through engines and services without exceptions:
//   Result<Entry> r = engine.get(...);  if (!r) return fail(r.error());
#include <expected>

#include "core/error.h"

namespace era {

template <class T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }
inline std::unexpected<Error> fail(Code c, std::string msg) {
  return std::unexpected<Error>(Error(c, std::move(msg)));
}

// ERA_TRY(expr): evaluate a Status/Result and return its error from the enclosing function.
#define ERA_TRY(expr)                                          \
  do {                                                         \
    auto&& era_try_r_ = (expr);                                \
    if (!era_try_r_) return ::era::fail(era_try_r_.error());   \
  } while (0)

}  // namespace era
