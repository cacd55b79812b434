// `era-emu d1 query NS "SQL" [--params JSON]`: run SQL and print the rows as a table.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {

void setup_d1(CLI::App& app) {
  auto* d1 = app.add_subcommand("d1", "Run SQL against a D1 namespace");
  d1->require_subcommand(1);
  struct Args {
    std::string ns, sql, params;
  };
  auto a = std::make_shared<Args>();
  auto* q = d1->add_subcommand("query", "Run SQL (one transaction) and print the last statement's rows");
  q->add_option("namespace", a->ns)->required();
  q->add_option("sql", a->sql)->required();
  q->add_option("--params", a->params, "Bound parameters as a JSON array");
  auto conn = add_conn_options(q);
  q->callback([a, conn] {
    run_and_exit([&] {
      json body = {{"sql", a->sql}};
      if (!a->params.empty()) {
        json p = json::parse(a->params, nullptr, false);
        if (!p.is_array()) {
          std::cerr << "era-emu: --params must be a JSON array\n";
          return 2;
        }
        body["params"] = p;
      }
      return finish(*conn, request(*conn, "POST", "/api/storage/d1/" + encode(a->ns) + "/query", body.dump()),
                    [](const json& j) {
                      print_table(j["results"]);
                      if (j.contains("meta") && j["meta"].value("changes", 0) > 0)
                        std::cout << j["meta"]["changes"] << " row(s) changed\n";
                    });
    });
  });
}

}  // namespace era::cli
