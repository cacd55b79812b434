#include "api/control/control.h"
#include "api/routes.h"

namespace era::api {

void add_control_routes(Router& r, Services& s) {
  add_time_routes(r, s);
}

}  // namespace era::api
