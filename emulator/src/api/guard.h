#pragma once
// The one choke point in front of the engines: every routed call passes before() and after(),
// whatever protocol it came in on. It reads "now" once from the clock into the call's
// OpContext, applies fault rules, holds the reset lock shared while a storage call runs, and
// records the call in the event log.
//
// Faults, as applied here (docs/control-api.md has the wire shapes):
//   error / throttle    the handler is skipped; {"error","code"} with the rule's status
//                       (throttle: 429 + Retry-After)
//   latency             the server holds the request on a timer for ms (+ seeded jitter) —
//                       no thread waits — then the call runs
//   timeout             held for hold_ms, then 504 without running the handler
//   reset               the connection is dropped (RST) before any response byte is sent
//   truncate            the response declares its full Content-Length but only after_bytes
//                       are sent, then the connection closes
//   stale               OpContext::stale = true (the KV engine serves the previous version)
//   lost_ack            the handler runs (the write is applied), then the response becomes an
//                       error: the ambiguous commit a retry loop must survive
//   ok                  nothing (a scripted pass in a sequence)
// Control routes (/_emu) are never faulted and never hold the reset lock (reset takes it
// exclusively itself).
#include "api/router.h"

namespace era::core { class Clock; class FaultSet; class EventLog; }
namespace era::admin { class StateLock; }
namespace era::products { class Declarations; }

namespace era::api {

class Guard {
 public:
  explicit Guard(core::Clock& clock) : clock_(clock) {}
  // Optional collaborators (any may be null: that feature is then off).
  void attach(core::FaultSet* faults, core::EventLog* events, admin::StateLock* lock) {
    faults_ = faults;
    events_ = events;
    lock_ = lock;
  }
  // Declared products; under --strict (catalog->strict) a KV/R2/D1 call naming an undeclared
  // namespace fails here with 404 NOT_DECLARED, before faults, for every protocol alike.
  void set_catalog(const products::Declarations* catalog) { catalog_ = catalog; }

  // Fills call.ctx, decides the fault and sets call.hold_ms. Never blocks. An error return is
  // sent instead of running the handler.
  Status before(Call& call);
  // After the hold, right before the handler: timeout/reset faults, then the reset lock.
  Status enter(Call& call);
  // After the handler (or the error) produced a response.
  void after(Call& call, double duration_ms);

 private:
  core::Clock& clock_;
  core::FaultSet* faults_ = nullptr;
  core::EventLog* events_ = nullptr;
  admin::StateLock* lock_ = nullptr;
  const products::Declarations* catalog_ = nullptr;
};

}  // namespace era::api
