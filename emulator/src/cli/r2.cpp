// `era-emu r2 {get,put,list,rm,sign}`: R2 objects through the ERA storage API, files in and out;
// `sign` asks POST /api/signed-urls for a signed (optionally one-time) GET or PUT URL.
#include <CLI/CLI.hpp>

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/client.h"
#include "core/crypto.h"

namespace era::cli {
namespace {

std::string r2_path(const std::string& ns, const std::string& key) {
  return "/api/storage/r2/" + encode(ns) + (key.empty() ? "" : "/" + encode(key, true));
}

}  // namespace

void setup_r2(CLI::App& app) {
  auto* r2 = app.add_subcommand("r2", "Read and write R2 objects (files in and out)");
  r2->require_subcommand(1);
  struct Args {
    std::string ns, key, file, out, metadata, prefix;
  };

  auto g = std::make_shared<Args>();
  auto* get = r2->add_subcommand("get", "Write an object's body to --out FILE (or stdout)");
  get->add_option("bucket", g->ns)->required();
  get->add_option("key", g->key)->required();
  get->add_option("--out,-o", g->out, "Write the body to this file");
  auto cg = add_conn_options(get);
  get->callback([g, cg] {
    run_and_exit([&] {
      Reply rep = request(*cg, "GET", r2_path(g->ns, g->key));
      int code = 0;
      code = finish(*cg, rep, [&](const json& j) {
        auto body = core::base64_decode(j.value("content", ""));
        if (!body) {
          std::cerr << "era-emu: the answer's content is not base64\n";
          code = 1;
          return;
        }
        if (!g->out.empty()) {
          std::ofstream(g->out, std::ios::binary) << *body;
          std::cerr << "wrote " << body->size() << " bytes to " << g->out << "\n";
        } else {
          std::cout << *body;
        }
      });
      return code;
    });
  });

  auto p = std::make_shared<Args>();
  auto* put = r2->add_subcommand("put", "Upload FILE as bucket/key");
  put->add_option("bucket", p->ns)->required();
  put->add_option("key", p->key)->required();
  put->add_option("file", p->file, "The body")->required();
  put->add_option("--metadata,-m", p->metadata, "Custom metadata as a JSON object of strings");
  auto cp = add_conn_options(put);
  put->callback([p, cp] {
    run_and_exit([&] {
      std::ifstream in(p->file, std::ios::binary);
      if (!in) {
        std::cerr << "era-emu: cannot read " << p->file << "\n";
        return 2;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      json body = {{"content", core::base64_encode(ss.str())}};
      if (!p->metadata.empty()) {
        json m = json::parse(p->metadata, nullptr, false);
        if (!m.is_object()) {
          std::cerr << "era-emu: --metadata must be a JSON object\n";
          return 2;
        }
        body["metadata"] = m;
      }
      return finish(*cp, request(*cp, "PUT", r2_path(p->ns, p->key), body.dump()), [&](const json& j) {
        std::cout << "put " << p->ns << "/" << p->key << " (" << j.value("size", int64_t(0)) << " bytes)\n";
      });
    });
  });

  auto l = std::make_shared<Args>();
  auto* list = r2->add_subcommand("list", "List objects: key, size, uploaded");
  list->add_option("bucket", l->ns)->required();
  list->add_option("--prefix", l->prefix, "Only keys starting with this");
  auto cl = add_conn_options(list);
  list->callback([l, cl] {
    run_and_exit([&] {
      std::string q = r2_path(l->ns, "") + "?limit=1000";
      if (!l->prefix.empty()) q += "&prefix=" + encode(l->prefix);
      return finish(*cl, request(*cl, "GET", q), [](const json& j) {
        for (const auto& o : j["objects"])
          std::cout << o.value("key", "") << "\t" << o.value("size", int64_t(0)) << "\t" << o.value("uploaded", "") << "\n";
      });
    });
  });

  auto r = std::make_shared<Args>();
  auto* rm = r2->add_subcommand("rm", "Delete an object");
  rm->add_option("bucket", r->ns)->required();
  rm->add_option("key", r->key)->required();
  auto cr = add_conn_options(rm);
  rm->callback([r, cr] {
    run_and_exit([&] {
      return finish(*cr, request(*cr, "DELETE", r2_path(r->ns, r->key)),
                    [&](const json&) { std::cout << "deleted " << r->ns << "/" << r->key << "\n"; });
    });
  });

  struct SignArgs {
    std::string ns, key, method = "GET", content_type;
    int64_t expires = 3600;
    bool one_time = false;
    uint64_t max_bytes = 0;
  };
  auto sg = std::make_shared<SignArgs>();
  auto* sign = r2->add_subcommand("sign", "Print a signed URL for one object (no token needed to use it)");
  sign->add_option("bucket", sg->ns)->required();
  sign->add_option("key", sg->key)->required();
  sign->add_option("--method", sg->method, "GET or PUT")->check(CLI::IsMember({"GET", "PUT"}, CLI::ignore_case));
  sign->add_option("--expires", sg->expires, "Seconds the URL stays valid on the emulator's clock (1-604800)")
      ->check(CLI::Range(int64_t(1), int64_t(604800)));
  sign->add_flag("--one-time", sg->one_time, "The URL works for exactly one request");
  sign->add_option("--content-type", sg->content_type, "PUT: the upload must send this Content-Type");
  sign->add_option("--max-bytes", sg->max_bytes, "PUT: refuse bodies larger than this")->check(CLI::PositiveNumber);
  auto cs = add_conn_options(sign);
  sign->callback([sg, cs] {
    run_and_exit([&] {
      std::string method = sg->method;
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      json body = {{"bucket", sg->ns}, {"key", sg->key}, {"method", method},
                   {"expiresIn", sg->expires}, {"oneTime", sg->one_time}};
      if (!sg->content_type.empty()) body["contentType"] = sg->content_type;
      if (sg->max_bytes) body["maxBytes"] = sg->max_bytes;
      return finish(*cs, request(*cs, "POST", "/api/signed-urls", body.dump()),
                    [](const json& j) { std::cout << j.value("url", "") << "\n"; });
    });
  });
}

}  // namespace era::cli
