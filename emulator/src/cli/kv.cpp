// `era-emu kv {get,put,list,rm}`: KV data through the ERA storage API (faults apply).
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/client.h"

namespace era::cli {
namespace {

std::string kv_path(const std::string& ns, const std::string& key) {
  return "/api/storage/kv/" + encode(ns) + (key.empty() ? "" : "/" + encode(key, true));
}

}  // namespace

void setup_kv(CLI::App& app) {
  auto* kv = app.add_subcommand("kv", "Read and write KV entries");
  kv->require_subcommand(1);
  struct Args {
    std::string ns, key, value, file, out, metadata, prefix;
    int64_t ttl = 0;
    int limit = 1000;
  };

  auto g = std::make_shared<Args>();
  auto* get = kv->add_subcommand("get", "Print a value (or write it to --out FILE)");
  get->add_option("namespace", g->ns)->required();
  get->add_option("key", g->key)->required();
  get->add_option("--out,-o", g->out, "Write the value to this file");
  auto cg = add_conn_options(get);
  get->callback([g, cg] {
    run_and_exit([&] {
      return finish(*cg, request(*cg, "GET", kv_path(g->ns, g->key) + "?metadata=true"), [&](const json& j) {
        std::string v = j.value("value", "");
        if (!g->out.empty()) {
          std::ofstream(g->out, std::ios::binary) << v;
        } else {
          std::cout << v << "\n";
          if (!j["metadata"].is_null()) std::cerr << "metadata: " << j["metadata"].dump() << "\n";
          if (!j["expiration"].is_null()) std::cerr << "expiration: " << j["expiration"].dump() << "\n";
        }
      });
    });
  });

  auto p = std::make_shared<Args>();
  auto* put = kv->add_subcommand("put", "Set a value (from the argument or --file)");
  put->add_option("namespace", p->ns)->required();
  put->add_option("key", p->key)->required();
  put->add_option("value", p->value, "The value (or use --file)");
  put->add_option("--file,-f", p->file, "Read the value from this file");
  put->add_option("--ttl", p->ttl, "expirationTtl in seconds (>= 60)");
  put->add_option("--metadata,-m", p->metadata, "Metadata as JSON");
  auto cp = add_conn_options(put);
  put->callback([p, cp] {
    run_and_exit([&] {
      json body = json::object();
      if (!p->file.empty()) {
        std::ifstream in(p->file, std::ios::binary);
        if (!in) {
          std::cerr << "era-emu: cannot read " << p->file << "\n";
          return 2;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        body["value"] = ss.str();
      } else {
        body["value"] = p->value;
      }
      if (!p->metadata.empty()) {
        json m = json::parse(p->metadata, nullptr, false);
        if (m.is_discarded()) {
          std::cerr << "era-emu: --metadata is not valid JSON\n";
          return 2;
        }
        body["metadata"] = m;
      }
      if (p->ttl) body["expirationTtl"] = p->ttl;
      return finish(*cp, request(*cp, "PUT", kv_path(p->ns, p->key), body.dump(-1, ' ', false, json::error_handler_t::replace)),
                    [&](const json&) { std::cout << "put " << p->ns << "/" << p->key << "\n"; });
    });
  });

  auto l = std::make_shared<Args>();
  auto* list = kv->add_subcommand("list", "List key names");
  list->add_option("namespace", l->ns)->required();
  list->add_option("--prefix", l->prefix, "Only keys starting with this");
  list->add_option("--limit", l->limit, "At most this many (1-1000)")->capture_default_str();
  auto cl = add_conn_options(list);
  list->callback([l, cl] {
    run_and_exit([&] {
      std::string q = kv_path(l->ns, "") + "?limit=" + std::to_string(l->limit);
      if (!l->prefix.empty()) q += "&prefix=" + encode(l->prefix);
      return finish(*cl, request(*cl, "GET", q), [](const json& j) {
        for (const auto& k : j["keys"]) std::cout << k["name"].get<std::string>() << "\n";
        if (!j.value("list_complete", true)) std::cerr << "(more keys: raise --limit or use the API cursor)\n";
      });
    });
  });

  auto r = std::make_shared<Args>();
  auto* rm = kv->add_subcommand("rm", "Delete a key");
  rm->add_option("namespace", r->ns)->required();
  rm->add_option("key", r->key)->required();
  auto cr = add_conn_options(rm);
  rm->callback([r, cr] {
    run_and_exit([&] {
      return finish(*cr, request(*cr, "DELETE", kv_path(r->ns, r->key)),
                    [&](const json&) { std::cout << "deleted " << r->ns << "/" << r->key << "\n"; });
    });
  });
}

}  // namespace era::cli
