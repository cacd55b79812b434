#pragma once
// /_emu control routes, one file per area; routes.cpp registers them all.
#include "api/router.h"
#include "api/services.h"

namespace era::api {

void add_time_routes(Router& r, Services& s);      // control/time.cpp
void add_fault_routes(Router& r, Services& s);     // control/faults.cpp
void add_event_routes(Router& r, Services& s);     // control/events.cpp
void add_reset_routes(Router& r, Services& s);     // control/reset.cpp
void add_snapshot_routes(Router& r, Services& s);  // control/snapshots.cpp
void add_seed_routes(Router& r, Services& s);      // control/seed.cpp
void add_inspect_routes(Router& r, Services& s);   // control/inspect.cpp
void add_config_routes(Router& r, Services& s);    // control/config.cpp (/_emu/config, /_emu/migrate)
void add_ui_routes(Router& r, Services& s);        // control/ui.cpp (/_emu/ui/, the web inspector)

}  // namespace era::api
