#pragma once
// One file per subcommand; each registers itself on the app. main.cpp stays wiring only.
namespace CLI { class App; }

namespace era::cli {

void setup_up(CLI::App& app);        // cli/up.cpp
void setup_control(CLI::App& app);   // cli/control.cpp: time, fault, reset, snapshot, seed, events, kv, r2, d1

}  // namespace era::cli
