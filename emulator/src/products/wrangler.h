#pragma once
// wrangler configuration files as declarations (issue 15): `era-emu up --config wrangler.toml`
// (or wrangler.jsonc / wrangler.json, also found in the working directory when there is no
// era-emu.json) declares each binding's store the way getPlatformProxy() names it
// (sdk/js/platform.js), so Worker code run through the JS bindings and the emulator agree:
//   kv_namespaces[] → kv     name: id, else binding
//   r2_buckets[]    → buckets name: bucket_name, else binding
//   d1_databases[]  → d1     name: database_name, else database_id, else binding;
//                             migrations: migrations_dir (default "migrations", when it exists),
//                             migrationsTable: migrations_table (default d1_migrations)
// Other wrangler settings are not storage and are ignored. No HTTP, no storage.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace era::products {

// The TOML wrangler files use: comments, [tables], [[arrays.of.tables]], bare/quoted/dotted
// keys, basic/literal/multi-line strings, integers (incl. 0x/0o/0b and _), floats, booleans,
// arrays, inline tables; dates and times are kept as their text. Errors are CONFIG_INVALID
// "FILE:LINE: what".
Result<nlohmann::json> parse_toml(std::string_view text, const std::string& file);

// Reads a wrangler file (TOML by extension, JSONC otherwise; `environment` selects
// [env.NAME] as `wrangler --env` does: bindings are not inherited from the top level) → an
// era-emu.json-shaped document {"kv": [...], "buckets": [...], "d1": [...]}.
Result<nlohmann::json> read_wrangler(const std::string& path, const std::string& environment);

}  // namespace era::products
