// era-emu: CLI wiring only; each subcommand lives in cli/.
#include <CLI/CLI.hpp>

#include "cli/cli.h"

int main(int argc, char** argv) {
  CLI::App app;
  era::cli::build_app(app);
  return era::cli::run(app, argc, argv);
}
