#pragma once
// The one choke point in front of the engines: every routed call passes before() and after(),
// whatever protocol it came in on. It reads "now" once from the clock into the call's
// OpContext, applies fault rules, and records the call in the event log.
#include "api/router.h"

namespace era::core { class Clock; }

namespace era::api {

class Guard {
 public:
  explicit Guard(core::Clock& clock) : clock_(clock) {}

  // Fills call.ctx. An error return is sent instead of running the handler.
  Status before(Call& call);
  // After the handler (or the error) produced a response.
  void after(Call& call, double duration_ms);

 private:
  core::Clock& clock_;
};

}  // namespace era::api
