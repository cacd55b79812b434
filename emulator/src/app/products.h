#pragma once
// Declared products at start (issue 8): find and validate era-emu.json, then hand each engine
// its declared rules. Called by app/emulator.cpp (start, reset hook) and cli/migrate.
#include <string>

#include "core/result.h"
#include "products/catalog.h"

namespace era::kv { class Engine; }
namespace era::r2 { class Engine; }
namespace era::d1 { class Engine; }

namespace era::app {

// --config FILE, else ./era-emu.json, else ./wrangler.jsonc|json|toml, else an empty catalog.
// CONFIG_INVALID (every problem, each naming the file, the field and the fix) stops start-up;
// so does --strict without any config file (every storage call would be a 404).
Result<products::Catalog> load_products(const std::string& config_file, bool strict,
                                        const std::string& wrangler_env = {});

// KV: ttlSeconds → the namespace's default TTL, propagationDelayMs → its delay.
// R2: deleteAfterDays, abortMultipartAfterDays, maxObjectSize → the bucket's options.
// Both engines keep these as configuration: reset and snapshot restore leave them alone.
Status apply_products(const products::Catalog& catalog, kv::Engine& kv, r2::Engine& r2);

}  // namespace era::app
