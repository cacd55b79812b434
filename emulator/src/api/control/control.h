#pragma once
// /_emu control routes, one file per area; routes.cpp registers them all.
#include "api/router.h"
#include "api/services.h"

namespace era::api {

void add_time_routes(Router& r, Services& s);  // control/time.cpp

}  // namespace era::api
