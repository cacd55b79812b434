#pragma once
// One file per subcommand; each registers itself on the app. main.cpp stays wiring only.
namespace CLI { class App; }

namespace era::cli {

// The whole command tree (cli/control.cpp); run() parses and dispatches, exiting 2 on a usage
// error and 0 for --help / --version. Every subcommand's --help ends with examples.
void build_app(CLI::App& app);
int run(CLI::App& app, int argc, char** argv);

void setup_up(CLI::App& app);        // cli/up.cpp
void setup_exec(CLI::App& app);      // cli/up.cpp
void setup_errors(CLI::App& app);    // cli/errors.cpp
void setup_migrate(CLI::App& app);   // cli/migrate.cpp (offline, or --url)
void setup_control(CLI::App& app);   // cli/control.cpp: registers every verb below

// Control verbs: they drive a running emulator over HTTP (cli/client.h).
void setup_time(CLI::App& app);      // cli/time.cpp
void setup_fault(CLI::App& app);     // cli/fault.cpp
void setup_reset(CLI::App& app);     // cli/reset.cpp
void setup_snapshot(CLI::App& app);  // cli/snapshot.cpp
void setup_seed(CLI::App& app);      // cli/seed.cpp
void setup_events(CLI::App& app);    // cli/events.cpp
void setup_kv(CLI::App& app);        // cli/kv.cpp
void setup_r2(CLI::App& app);        // cli/r2.cpp
void setup_d1(CLI::App& app);        // cli/d1.cpp

}  // namespace era::cli
