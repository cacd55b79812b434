#pragma once
// D1 migrations (issue 8): a declared database's `migrations` folder holds *.sql files applied
// in lexical (byte) order of their file names, each once. Like wrangler, the database records
// what ran in its own table:
//   d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP)
// (applied_at is the virtual clock's CURRENT_TIMESTAMP). Each file runs through the D1 engine
// (D1's limits and refusals apply: no BEGIN/COMMIT in a file) as one transaction together with
// its d1_migrations row, so a failing file leaves nothing behind and earlier files stay applied.
// No HTTP types; callers: app/ at start and after a reset, api/control (POST /_emu/migrate),
// cli/migrate (offline, on a locked data dir).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace era::d1 { class Engine; }
namespace era::products { struct Catalog; struct D1Spec; }

namespace era::admin {

inline constexpr std::string_view kMigrationsTable = "d1_migrations";  // the default (wrangler's migrations_table)

struct MigrationReport {
  std::string database;
  std::vector<std::string> applied;  // this call, in order
  size_t already_applied = 0;        // files skipped because d1_migrations lists them
};

// Applies the pending files of one database (nothing when it declares no folder).
// MIGRATION_FAILED names the database, the file and SQLite's message; STORE_IO when the folder
// cannot be listed or a file read.
Result<MigrationReport> apply_migrations(d1::Engine& d1, const products::D1Spec& db, int64_t now_ms);
// Every declared database with a migrations folder (only `only` when non-empty), in declaration
// order; stops at the first failure. NOT_DECLARED when `only` is not a declared database.
Result<std::vector<MigrationReport>> apply_all_migrations(d1::Engine& d1, const products::Catalog& catalog,
                                                          int64_t now_ms, std::string_view only = {});

nlohmann::json to_json(const std::vector<MigrationReport>& reports);

}  // namespace era::admin
