#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace era::cli {

// The control verbs (time, fault, reset, snapshot, seed, events, kv, r2, d1) land with the
// control-plane issue.
void setup_control(CLI::App&) {}

}  // namespace era::cli
