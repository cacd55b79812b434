#include "api/routes.h"

namespace era::api {

// Not built yet: see the open issues.
void add_r2raw_routes(Router&, Services&) {}

}  // namespace era::api
