#pragma once
// Each protocol registers its rows of the route table in its own file.
#include "api/router.h"
#include "api/services.h"

namespace era::api {

// A handler written as fn(services, call), as the router's call-only handler.
inline auto bind_services(Services& s, Status (*fn)(Services&, Call&)) {
  return [&s, fn](Call& c) { return fn(s, c); };
}

void add_health_routes(Router& r, Services& s);     // api/control/health.cpp
void add_control_routes(Router& r, Services& s);    // api/control/*.cpp (/_emu/...)
void add_era_kv_routes(Router& r, Services& s);     // api/era/kv_routes.cpp
void add_era_r2_routes(Router& r, Services& s);     // api/era/r2_routes.cpp
void add_era_d1_routes(Router& r, Services& s);     // api/era/d1_routes.cpp
void add_resources_routes(Router& r, Services& s);  // api/era/resources_routes.cpp
void add_r2raw_routes(Router& r, Services& s);      // api/r2raw/routes.cpp
void add_signed_routes(Router& r, Services& s);     // api/signed/routes.cpp (public + signed URLs)
void add_s3_routes(Router& r, Services& s);         // api/s3/routes.cpp (S3-compatible R2 at /s3)

inline void add_all_routes(Router& r, Services& s) {
  add_health_routes(r, s);
  add_control_routes(r, s);
  add_era_kv_routes(r, s);
  add_era_r2_routes(r, s);
  add_era_d1_routes(r, s);
  add_resources_routes(r, s);
  add_r2raw_routes(r, s);
  add_signed_routes(r, s);
  add_s3_routes(r, s);
}

}  // namespace era::api
