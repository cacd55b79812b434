// `era-emu seed FILE`: send a fixture document; R2 {"file": "..."} entries are read here,
// relative to the document, and sent as base64.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/client.h"
#include "core/crypto.h"
#include "core/json_depth.h"

namespace era::cli {
namespace {

// Returns an error message, or "" when every file entry was inlined.
std::string inline_files(json& doc, const std::filesystem::path& base) {
  if (!doc.is_object() || !doc.contains("r2") || !doc["r2"].is_object()) return "";
  for (auto& [bucket, objects] : doc["r2"].items()) {
    if (!objects.is_object()) continue;
    for (auto& [key, obj] : objects.items()) {
      if (!obj.is_object() || !obj.contains("file") || !obj["file"].is_string()) continue;
      std::filesystem::path p = base / obj["file"].get<std::string>();
      std::ifstream in(p, std::ios::binary);
      if (!in) return "r2." + bucket + "." + key + ".file: cannot read " + p.string();
      std::ostringstream ss;
      ss << in.rdbuf();
      obj.erase("file");
      obj["base64"] = core::base64_encode(ss.str());
    }
  }
  return "";
}

}  // namespace

void setup_seed(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto* v = app.add_subcommand("seed", "Load a fixture document (KV entries, R2 objects, D1 SQL) into the emulator");
  v->add_option("file", *file, "Fixture JSON (schema: docs/control-api.md; examples: fixtures/data/)")->required();
  auto conn = add_conn_options(v);
  v->callback([file, conn] {
    run_and_exit([&] {
      std::ifstream in(*file);
      if (!in) {
        std::cerr << "era-emu: cannot open " << *file << "\n";
        return 2;
      }
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (auto deep = core::check_json_depth(text, "the document"); !deep) {
        std::cerr << "era-emu: " << *file << ": " << deep.error().message << "\n";
        return 2;
      }
      json doc = json::parse(text, nullptr, false);
      if (doc.is_discarded()) {
        std::cerr << "era-emu: " << *file << " is not valid JSON\n";
        return 2;
      }
      if (std::string err = inline_files(doc, std::filesystem::absolute(*file).parent_path()); !err.empty()) {
        std::cerr << "era-emu: " << err << "\n";
        return 2;
      }
      return finish(*conn, request(*conn, "POST", "/_emu/seed", doc.dump()), [&](const json& j) {
        const json& s = j["seeded"];
        std::cout << "seeded " << *file << ": " << s.value("kv", 0) << " KV entries, " << s.value("r2", 0)
                  << " R2 objects, " << s.value("d1", 0) << " D1 statements\n";
      });
    });
  });
}

}  // namespace era::cli
