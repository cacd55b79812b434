// `era-emu migrate [--config F] [--data DIR] [--database NAME]`: apply pending D1 migrations
// to a data directory offline (refused while an emulator holds its lock), or, with --url, ask a
// running emulator to apply them (POST /_emu/migrate, using that emulator's own era-emu.json).
#include <CLI/CLI.hpp>

#include <iostream>

#include "admin/migrations.h"
#include "app/data_dir.h"
#include "app/products.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "core/clock.h"
#include "d1/engine.h"
#include "store/paths.h"

namespace era::cli {
namespace {

void print_reports(const json& j) {
  for (const auto& db : j.value("databases", json::array())) {
    const auto& applied = db["applied"];
    std::cout << "D1 \"" << db.value("database", "") << "\": " << applied.size() << " applied, "
              << db.value("already_applied", 0) << " already applied\n";
    for (const auto& name : applied) std::cout << "  + " << name.get<std::string>() << "\n";
  }
  if (j.value("databases", json::array()).empty()) std::cout << "no declared D1 database has a migrations folder\n";
}

int migrate_offline(const std::string& config, const std::string& data, const std::string& only, bool json_out) {
  auto catalog = app::load_products(config, false);
  if (!catalog) {
    std::cerr << "era-emu: " << catalog.error().message << "\n";
    return 2;
  }
  auto dir = app::DataDir::open(data);
  if (!dir) {
    std::cerr << "era-emu: " << dir.error().message
              << " (to migrate a running emulator use: era-emu migrate --url URL)\n";
    return 1;
  }
  store::Paths paths(dir->path());
  core::Clock clock;
  d1::Engine d1(paths, clock);
  auto reports = admin::apply_all_migrations(d1, *catalog, clock.now_ms(), only);
  if (!reports) {
    std::cerr << "era-emu: " << reports.error().message << "\n";
    return 1;
  }
  json j = admin::to_json(*reports);
  if (json_out) std::cout << j.dump() << "\n";
  else print_reports(j);
  return 0;
}

}  // namespace

void setup_migrate(CLI::App& app) {
  struct Args {
    std::string config, data = ".era-emu", database;
  };
  auto a = std::make_shared<Args>();
  auto* v = app.add_subcommand("migrate",
                               "Apply pending D1 migrations (era-emu.json d1[].migrations) to a data dir, or with "
                               "--url to a running emulator");
  v->add_option("--config", a->config, "The era-emu.json to read (default ./era-emu.json)");
  v->add_option("--data", a->data, "Data directory to migrate offline (must not be in use)")->capture_default_str();
  v->add_option("--database,-d", a->database, "Only this declared D1 database");
  auto conn = add_conn_options(v);
  v->callback([a, conn, v] {
    run_and_exit([&] {
      if (v->get_option("--url")->count() == 0) return migrate_offline(a->config, a->data, a->database, conn->json_out);
      json b = json::object();
      if (!a->database.empty()) b["database"] = a->database;
      return finish(*conn, request(*conn, "POST", "/_emu/migrate", b.dump()), print_reports);
    });
  });
}

}  // namespace era::cli
