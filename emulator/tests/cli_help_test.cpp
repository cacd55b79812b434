// The CLI's promises that need no emulator: every command's --help ends with an example, and
// usage errors exit 2 (docs/quickstart.md) instead of CLI11's own 100+ codes.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace {

void walk(CLI::App* app, const std::string& path, const std::function<void(CLI::App*, const std::string&)>& fn) {
  for (CLI::App* sub : app->get_subcommands({})) {
    std::string name = path.empty() ? sub->get_name() : path + " " + sub->get_name();
    fn(sub, name);
    walk(sub, name, fn);
  }
}

int run_args(std::vector<std::string> args) {
  CLI::App app;
  era::cli::build_app(app);
  std::vector<char*> argv;
  std::string prog = "era-emu";
  argv.push_back(prog.data());
  for (auto& a : args) argv.push_back(a.data());
  return era::cli::run(app, int(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("cli: every command's --help ends with an example that uses it", "[cli][help]") {
  CLI::App app;
  era::cli::build_app(app);
  size_t commands = 0;
  walk(&app, "", [&](CLI::App* cmd, const std::string& name) {
    ++commands;
    INFO("era-emu " << name << " --help");
    std::string footer = cmd->get_footer();
    CHECK(footer.rfind("Example", 0) == 0);
    CHECK(footer.find("era-emu " + name) != std::string::npos);
    CHECK(cmd->help().find(footer) != std::string::npos);
  });
  CHECK(commands >= 30);
}

TEST_CASE("cli: usage errors exit 2, --help and --version 0", "[cli][help]") {
  CHECK(run_args({"kv"}) == 2);                      // a subcommand is required
  CHECK(run_args({"nonsense"}) == 2);                // not a command
  CHECK(run_args({"up", "--port", "x"}) == 2);       // not a number
  CHECK(run_args({"r2", "put", "only-bucket"}) == 2);  // missing positionals
  CHECK(run_args({"d1", "query", "app", "SELECT 1", "--file", "f.sql"}) == 2);  // both
  CHECK(run_args({"--help"}) == 0);
  CHECK(run_args({"--version"}) == 0);
}
