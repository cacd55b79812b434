// `era-emu events [--since N] [--service S] [--op O] [--namespace NS] [--follow]`
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {
namespace {

void print_event(const json& e) {
  std::cout << "#" << e.value("seq", uint64_t(0)) << " " << e.value("time", "") << " " << e.value("service", "")
            << "." << e.value("op", "") << " " << e.value("namespace", "");
  if (!e.value("key", "").empty()) std::cout << "/" << e.value("key", "");
  std::cout << " -> " << e.value("status", 0) << " (" << e.value("duration_ms", 0.0) << " ms)";
  if (e["fault"].is_string()) std::cout << " fault " << e["fault"].get<std::string>() << " " << e.value("fault_type", "");
  std::cout << "\n";
}

}  // namespace

void setup_events(CLI::App& app) {
  struct Args {
    uint64_t since = 0;
    std::string service, op, ns;
    bool follow = false;
  };
  auto a = std::make_shared<Args>();
  auto* v = app.add_subcommand("events", "Print the operations the emulator served (newest last)");
  v->add_option("--since", a->since, "Only events after this sequence number");
  v->add_option("--service", a->service, "kv | r2 | d1 | resources | control");
  v->add_option("--op", a->op, "get | put | delete | list | query | ...");
  v->add_option("--namespace,-n", a->ns, "Only this namespace / bucket");
  v->add_flag("--follow,-f", a->follow, "Keep polling for new events until interrupted");
  auto conn = add_conn_options(v);
  v->callback([a, conn] {
    run_and_exit([&] {
      uint64_t since = a->since;
      for (;;) {
        std::string q = "/_emu/events?since=" + std::to_string(since);
        if (!a->service.empty()) q += "&service=" + encode(a->service);
        if (!a->op.empty()) q += "&op=" + encode(a->op);
        if (!a->ns.empty()) q += "&namespace=" + encode(a->ns);
        Reply r = request(*conn, "GET", q);
        json j = r.parsed();
        int code = finish(*conn, r, [](const json& page) {
          for (const auto& e : page["events"]) print_event(e);
        });
        if (code != 0 || !a->follow) return code;
        uint64_t next = j.value("next", since);
        if (next == since) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        since = next;
        std::cout.flush();
      }
    });
  });
}

}  // namespace era::cli
