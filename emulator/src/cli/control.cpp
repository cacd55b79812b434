#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace era::cli {

void setup_control(CLI::App& app) {
  setup_time(app);
  setup_fault(app);
  setup_reset(app);
  setup_snapshot(app);
  setup_seed(app);
  setup_events(app);
  setup_kv(app);
  setup_r2(app);
  setup_d1(app);
}

}  // namespace era::cli
