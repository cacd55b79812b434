// era-emu: CLI wiring only; each subcommand lives in cli/.
#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "era/emulator.h"

int main(int argc, char** argv) {
  CLI::App app{"era-emu — a local emulator of Cloudflare-style KV, R2 and D1 behind the ERA storage API,\n"
               "with a virtual clock, fault injection, reset/snapshots and a testkit."};
  app.set_version_flag("--version", std::string("era-emu ") + era::version());
  app.require_subcommand(1);
  era::cli::setup_up(app);
  era::cli::setup_exec(app);
  era::cli::setup_errors(app);
  era::cli::setup_migrate(app);
  era::cli::setup_control(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
