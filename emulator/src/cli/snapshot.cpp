// `era-emu snapshot {save,restore,list,rm} NAME`
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {
namespace {

void named(CLI::App* parent, const char* verb, const char* help,
           std::function<Reply(const Conn&, const std::string&)> call, const char* done) {
  auto name = std::make_shared<std::string>();
  auto* v = parent->add_subcommand(verb, help);
  v->add_option("name", *name, "Snapshot name ([A-Za-z0-9_-], 1-63)")->required();
  auto conn = add_conn_options(v);
  v->callback([=] {
    run_and_exit([&] {
      return finish(*conn, call(*conn, *name), [&](const json& j) {
        std::cout << done << " " << *name;
        if (j.contains("bytes")) std::cout << " (" << j["bytes"].get<int64_t>() << " bytes)";
        std::cout << "\n";
      });
    });
  });
}

}  // namespace

void setup_snapshot(CLI::App& app) {
  auto* snap = app.add_subcommand("snapshot", "Save, restore, list and delete named snapshots of KV, R2 and D1");
  snap->require_subcommand(1);
  named(snap, "save", "Save the current state under NAME (replaces it)",
        [](const Conn& c, const std::string& n) { return request(c, "POST", "/_emu/snapshots", json{{"name", n}}.dump()); },
        "saved");
  named(snap, "restore", "Put KV, R2 and D1 back to snapshot NAME",
        [](const Conn& c, const std::string& n) {
          return request(c, "POST", "/_emu/snapshots/" + encode(n) + "/restore", "{}");
        },
        "restored");
  named(snap, "rm", "Delete snapshot NAME",
        [](const Conn& c, const std::string& n) { return request(c, "DELETE", "/_emu/snapshots/" + encode(n)); },
        "deleted");
  auto* list = snap->add_subcommand("list", "List snapshots");
  auto conn = add_conn_options(list);
  list->callback([conn] {
    run_and_exit([&] {
      return finish(*conn, request(*conn, "GET", "/_emu/snapshots"), [](const json& j) {
        if (j["snapshots"].empty()) std::cout << "(no snapshots)\n";
        for (const auto& s : j["snapshots"])
          std::cout << s["name"].get<std::string>() << "\t" << s["created"].get<std::string>() << "\t"
                    << s["bytes"].get<int64_t>() << " bytes\n";
      });
    });
  });
}

}  // namespace era::cli
