#include "api/guard.h"

#include "core/clock.h"

namespace era::api {

Status Guard::before(Call& call) {
  call.ctx.now_ms = clock_.now_ms();
  std::string loc = call.req.get_header_value("X-Era-Location");
  call.ctx.location = loc.empty() ? "local" : loc;
  return {};
}

void Guard::after(Call&, double) {}

}  // namespace era::api
