// `era-emu time {show,freeze,resume,advance 90s,set ISO}`
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {
namespace {

void show(const json& j) {
  std::cout << j.value("now", "?") << "  (" << j.value("mode", "?") << ", " << j.value("now_ms", int64_t(0))
            << " ms)\n";
}

void verb(CLI::App* time, const char* name, const char* help, std::function<json()> body) {
  auto* v = time->add_subcommand(name, help);
  auto conn = add_conn_options(v);
  v->callback([conn, body] {
    run_and_exit([&] {
      json b = body();
      Reply r = b.is_null() ? request(*conn, "GET", "/_emu/time") : request(*conn, "POST", "/_emu/time", b.dump());
      return finish(*conn, r, show);
    });
  });
}

}  // namespace

void setup_time(CLI::App& app) {
  auto* time = app.add_subcommand("time", "Read or steer the emulator's virtual clock");
  time->require_subcommand(1);
  verb(time, "show", "Print the virtual time and mode", [] { return json(nullptr); });
  verb(time, "freeze", "Stop the clock at the current instant", [] { return json{{"freeze", true}}; });
  verb(time, "resume", "Let the clock run again from where it stands", [] { return json{{"resume", true}}; });
  verb(time, "reset", "Back to real time", [] { return json{{"reset", true}}; });
  auto dur = std::make_shared<std::string>();
  auto* adv = time->add_subcommand("advance", "Move the clock forward: 90s, 5m, 1h30m, 1500ms");
  adv->add_option("duration", *dur, "How far")->required();
  auto c1 = add_conn_options(adv);
  adv->callback([c1, dur] {
    run_and_exit([&] { return finish(*c1, request(*c1, "POST", "/_emu/time", json{{"advance", *dur}}.dump()), show); });
  });
  auto at = std::make_shared<std::string>();
  auto* set = time->add_subcommand("set", "Jump to an ISO-8601 instant (e.g. 2030-01-01T00:00:00Z)");
  set->add_option("instant", *at, "When")->required();
  auto c2 = add_conn_options(set);
  set->callback([c2, at] {
    run_and_exit([&] { return finish(*c2, request(*c2, "POST", "/_emu/time", json{{"set", *at}}.dump()), show); });
  });
}

}  // namespace era::cli
