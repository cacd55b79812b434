#include "api/routes.h"

namespace era::api {

// Not built yet: see the open issues.
void add_era_r2_routes(Router&, Services&) {}

}  // namespace era::api
