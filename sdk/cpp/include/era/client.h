#pragma once
// The era-emu C++ client: one include for everything (see docs/sdk-cpp.md).
#include "era/client/client.h"  // IWYU pragma: export
#include "era/client/types.h"   // IWYU pragma: export
