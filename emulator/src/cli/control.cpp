#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "cli/cli.h"
#include "era/emulator.h"

namespace era::cli {
namespace {

// What `--help` ends with, per command path. Kept in one table so every command has one
// (cli_help_test walks the tree); commands with a footer of their own (r2 get/put, d1 query)
// keep it.
const std::map<std::string, std::string>& examples() {
  static const std::map<std::string, std::string> table = {
      {"up", "era-emu up                                  # http://127.0.0.1:8787, data in ./.era-emu\n"
             "era-emu up --memory --port 0 --clock frozen  # throwaway, prints its URL\n"
             "era-emu up --config era-emu.json --strict    # declared products only"},
      {"exec", "era-emu exec -- python3 demo.py\n"
               "era-emu exec --seed fixtures/data/users.json -- node demo.js\n"
               "era-emu exec --snapshot-on-exit ./era-state -- python3 -m pytest tests/  # then: era-emu up --data ./era-state"},
      {"errors", "era-emu errors | grep D1_\nera-emu errors --markdown > docs/errors.md"},
      {"migrate", "era-emu migrate                        # ./era-emu.json into ./.era-emu (offline)\n"
                  "era-emu migrate --url http://127.0.0.1:8787 --database app"},
      {"time", "era-emu time advance 1h\nera-emu time set 2030-01-01T00:00:00Z"},
      {"time show", "era-emu time show"},
      {"time freeze", "era-emu time freeze && era-emu time advance 90s"},
      {"time resume", "era-emu time resume"},
      {"time reset", "era-emu time reset"},
      {"time advance", "era-emu time advance 90s\nera-emu time advance 1h30m"},
      {"time set", "era-emu time set 2030-01-01T00:00:00Z"},
      {"fault", "era-emu fault add --service kv --op get --status 503 --times 2\nera-emu fault list"},
      {"fault add", "era-emu fault add --service kv --op get --key 'user:*' --status 503 --times 2\n"
                    "era-emu fault add --service r2 --type latency --ms 250 --probability 0.5 --seed 7"},
      {"fault list", "era-emu fault list --json"},
      {"fault rm", "era-emu fault rm 3"},
      {"fault clear", "era-emu fault clear"},
      {"reset", "era-emu reset\nera-emu reset --service kv --namespace app --keep-clock"},
      {"snapshot", "era-emu snapshot save before\nera-emu snapshot restore before"},
      {"snapshot save", "era-emu snapshot save before-migration"},
      {"snapshot restore", "era-emu snapshot restore before-migration"},
      {"snapshot rm", "era-emu snapshot rm before-migration"},
      {"snapshot list", "era-emu snapshot list"},
      {"seed", "era-emu seed fixtures/data/users.json"},
      {"events", "era-emu events --service d1\nera-emu events --follow --namespace app"},
      {"kv", "era-emu kv put app greeting hello\nera-emu kv get app greeting"},
      {"kv get", "era-emu kv get app user:1\nera-emu kv get app avatar -o avatar.bin"},
      {"kv put", "era-emu kv put app user:1 '{\"name\":\"ada\"}' --ttl 3600 -m '{\"v\":1}'\n"
                 "era-emu kv put app avatar --file avatar.bin"},
      {"kv list", "era-emu kv list app --prefix user:"},
      {"kv rm", "era-emu kv rm app user:1"},
      {"r2", "era-emu r2 put files img/a.png ./a.png\nera-emu r2 get files img/a.png -o a.png"},
      {"r2 list", "era-emu r2 list files --prefix img/"},
      {"r2 rm", "era-emu r2 rm files img/a.png"},
      {"r2 sign", "era-emu r2 sign files img/a.png --expires 600\n"
                  "era-emu r2 sign files uploads/x.bin --method PUT --one-time --max-bytes 1048576"},
  };
  return table;
}

void add_examples(CLI::App* cmd, const std::string& path) {
  for (CLI::App* sub : cmd->get_subcommands({})) {
    std::string name = path.empty() ? sub->get_name() : path + " " + sub->get_name();
    // CLI11 copies a parent's footer into the subcommands made after it: only a footer of the
    // command's own counts.
    if (sub->get_footer().empty() || sub->get_footer() == cmd->get_footer()) {
      auto it = examples().find(name);
      if (it != examples().end()) {
        std::string text = "Example" + std::string(it->second.find('\n') == std::string::npos ? "" : "s") + ":";
        size_t pos = 0;
        while (pos <= it->second.size()) {
          size_t nl = it->second.find('\n', pos);
          if (nl == std::string::npos) nl = it->second.size();
          text += "\n  " + it->second.substr(pos, nl - pos);
          pos = nl + 1;
        }
        sub->footer(text);
      }
    }
    add_examples(sub, name);
  }
}

}  // namespace

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

void build_app(CLI::App& app) {
  app.description(
      "era-emu — a local emulator of Cloudflare-style KV, R2 and D1 behind the ERA storage API,\n"
      "with a virtual clock, fault injection, reset/snapshots and a testkit.");
  app.set_version_flag("--version", std::string("era-emu ") + era::version());
  app.require_subcommand(1);
  setup_up(app);
  setup_exec(app);
  setup_errors(app);
  setup_migrate(app);
  setup_control(app);
  add_examples(&app, "");
  app.footer("Examples:\n  era-emu up                       # http://127.0.0.1:8787, data in ./.era-emu\n"
             "  era-emu exec -- python3 -m pytest  # one command with a fresh emulator beside it\n"
             "  era-emu SUBCOMMAND --help          # every subcommand has examples");
}

int run(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // prints help / version (0) or the error and a hint
    return rc == 0 ? 0 : 2;  // usage errors exit 2, as documented (CLI11's own codes are 100+)
  }
  return 0;
}

}  // namespace era::cli
