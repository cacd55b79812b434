#include "admin/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "d1/engine.h"
#include "products/catalog.h"
#include "store/sqlite.h"

namespace era::admin {
namespace fs = std::filesystem;

namespace {

Result<std::vector<fs::path>> sql_files(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->path().extension() == ".sql" && it->is_regular_file(e2)) out.push_back(it->path());
  }
  if (ec) return fail(Code::STORE_IO, "cannot list migrations folder " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  return out;
}

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(Code::STORE_IO, "cannot read migration " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Error failed(const std::string& db, const std::string& file, const Error& e) {
  // D1 errors keep the ERA proxy's outer "D1 query failed"; SQLite's own text is in details.
  std::string why = e.message;
  if (e.details.is_object() && e.details.contains("details") && e.details["details"].is_string())
    why = e.details["details"].get<std::string>();
  return Error(Code::MIGRATION_FAILED,
               "D1 database \"" + db + "\": migration " + file + " failed: " + why +
                   " (earlier migrations stay applied; fix the file and run `era-emu migrate` or restart)")
      .with_details({{"database", db}, {"file", file}, {"sqlite_error", why}, {"cause", to_string(e.code)}});
}

}  // namespace

Result<MigrationReport> apply_migrations(d1::Engine& d1, const products::D1Spec& db, int64_t now_ms) {
  MigrationReport rep;
  rep.database = db.name;
  if (db.migrations_dir.empty()) return rep;
  auto files = sql_files(db.migrations_dir);
  if (!files) return fail(files.error());

  OpContext ctx;
  ctx.now_ms = now_ms;
  const std::string& table = db.migrations_table;
  auto listed = d1.query(ctx, db.name,
                         {"CREATE TABLE IF NOT EXISTS " + table +
                              " (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,"
                              " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);"
                              " SELECT name FROM " + table,
                          {}});
  if (!listed) return fail(failed(db.name, table, listed.error()));
  std::set<std::string> done;
  for (const auto& row : listed->rows)
    if (row.contains("name") && row["name"].is_string()) done.insert(row["name"].get<std::string>());

  for (const auto& path : *files) {
    std::string name = path.filename().string();
    if (done.count(name)) {
      ++rep.already_applied;
      continue;
    }
    auto sql = read_file(path);
    if (!sql) return fail(sql.error());
    std::vector<d1::StatementInput> stmts;
    if (!store::sqlite::only_space_or_comments(*sql)) stmts.push_back({std::move(*sql), {}});
    stmts.push_back({"INSERT INTO " + table + " (name) VALUES (?1)", {name}});
    auto ran = d1.batch(ctx, db.name, stmts);
    if (!ran) return fail(failed(db.name, name, ran.error()));
    rep.applied.push_back(name);
  }
  return rep;
}

Result<std::vector<MigrationReport>> apply_all_migrations(d1::Engine& d1, const products::Catalog& catalog,
                                                          int64_t now_ms, std::string_view only) {
  if (!only.empty() && !catalog.database(only))
    return fail(Error(Code::NOT_DECLARED, "D1 database \"" + std::string(only) + "\" is not declared in " +
                                              (catalog.source.empty() ? "era-emu.json" : catalog.source))
                    .with_details({{"name", only}}));
  std::vector<MigrationReport> out;
  for (const auto& db : catalog.d1) {
    if (db.migrations_dir.empty() || (!only.empty() && db.name != only)) continue;
    auto r = apply_migrations(d1, db, now_ms);
    if (!r) return fail(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

nlohmann::json to_json(const std::vector<MigrationReport>& reports) {
  nlohmann::json dbs = nlohmann::json::array();
  for (const auto& r : reports)
    dbs.push_back({{"database", r.database}, {"applied", r.applied}, {"already_applied", r.already_applied}});
  return {{"databases", dbs}};
}

}  // namespace era::admin
