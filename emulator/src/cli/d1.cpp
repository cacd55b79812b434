// `era-emu d1 query NS "SQL" | --file F | -  [--params JSON]`: run SQL (one transaction) and
// print the last statement's rows as a table, columns in SELECT order.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {

void setup_d1(CLI::App& app) {
  auto* d1 = app.add_subcommand("d1", "Run SQL against a D1 namespace");
  d1->require_subcommand(1);
  d1->footer("Example:\n  era-emu d1 query app \"SELECT name, id FROM users\"");
  struct Args {
    std::string ns, sql, file, params;
  };
  auto a = std::make_shared<Args>();
  auto* q = d1->add_subcommand(
      "query", "Run SQL (one transaction, all statements or none) and print the last statement's rows");
  q->add_option("namespace", a->ns)->required();
  auto* sql = q->add_option("sql", a->sql, "The SQL; - reads it from stdin");
  auto* file = q->add_option("--file,-f", a->file, "Read the SQL from this file (e.g. a migration)");
  sql->excludes(file);
  q->add_option("--params", a->params, "Bound parameters (of the last statement) as a JSON array");
  q->footer("Examples:\n"
            "  era-emu d1 query app \"SELECT name, id FROM users WHERE id > ?\" --params '[10]'\n"
            "  era-emu d1 query app --file migrations/0001_users.sql\n"
            "  echo 'SELECT count(*) FROM users' | era-emu d1 query app -");
  auto conn = add_conn_options(q);
  q->callback([a, conn] {
    run_and_exit([&] {
      std::string text = a->sql;
      if (!a->file.empty() || text == "-") {
        std::ifstream f;
        if (!a->file.empty()) f.open(a->file, std::ios::binary);
        std::istream& in = a->file.empty() ? std::cin : f;
        if (!a->file.empty() && !f) {
          std::cerr << "era-emu: cannot read " << a->file << "\n";
          return 2;
        }
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        std::cerr << "era-emu: no SQL given (an argument, --file FILE, or - for stdin)\n";
        return 2;
      }
      json body = {{"sql", text}};
      if (!a->params.empty()) {
        json p = json::parse(a->params, nullptr, false);
        if (!p.is_array()) {
          std::cerr << "era-emu: --params must be a JSON array\n";
          return 2;
        }
        body["params"] = p;
      }
      Reply rep = request(*conn, "POST", "/api/storage/d1/" + encode(a->ns) + "/query", body.dump());
      return finish(*conn, rep, [&](const json&) {
        auto j = nlohmann::ordered_json::parse(rep.body, nullptr, false);  // keeps column order
        print_table(j["results"]);
        if (j.contains("meta") && j["meta"].value("changes", 0) > 0)
          std::cout << j["meta"]["changes"] << " row(s) changed\n";
      });
    });
  });
}

}  // namespace era::cli
