#include "api/control/control.h"
#include "api/routes.h"

namespace era::api {

// Areas whose collaborators are missing (a partial composition, e.g. a unit test) are skipped.
void add_control_routes(Router& r, Services& s) {
  add_time_routes(r, s);
  add_ui_routes(r, s);
  if (s.catalog) add_config_routes(r, s);
  if (s.faults) add_fault_routes(r, s);
  if (s.events) add_event_routes(r, s);
  if (s.admin) {
    add_reset_routes(r, s);
    add_snapshot_routes(r, s);
    add_seed_routes(r, s);
    add_inspect_routes(r, s);
  }
}

}  // namespace era::api
