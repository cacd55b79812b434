// `era-emu reset [--service S] [--namespace NS] [--keep-faults] [--keep-clock]`
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {

void setup_reset(CLI::App& app) {
  struct Args {
    std::string service, ns;
    bool keep_faults = false, keep_clock = false;
  };
  auto a = std::make_shared<Args>();
  auto* v = app.add_subcommand("reset", "Empty the emulator's storage (all, one service or one namespace)");
  v->add_option("--service", a->service, "Only kv, r2 or d1")->check(CLI::IsMember({"kv", "r2", "d1"}));
  v->add_option("--namespace,-n", a->ns, "Only this namespace / bucket");
  v->add_flag("--keep-faults", a->keep_faults, "Keep the fault rules");
  v->add_flag("--keep-clock", a->keep_clock, "Keep the virtual clock as it is");
  auto conn = add_conn_options(v);
  v->callback([a, conn] {
    run_and_exit([&] {
      json b = json::object();
      if (!a->service.empty()) b["service"] = a->service;
      if (!a->ns.empty()) b["namespace"] = a->ns;
      if (a->keep_faults) b["keep_faults"] = true;
      if (a->keep_clock) b["keep_clock"] = true;
      return finish(*conn, request(*conn, "POST", "/_emu/reset", b.dump()), [](const json& j) {
        std::cout << "reset: " << j["reset"].value("kv", 0) << " KV keys, " << j["reset"].value("r2", 0)
                  << " R2 objects, " << j["reset"].value("d1", 0) << " D1 databases removed in "
                  << j.value("duration_ms", 0.0) << " ms\n";
      });
    });
  });
}

}  // namespace era::cli
