// `era-emu r2 {get,put,list,rm,sign}`: R2 objects, files in and out streamed through the binary
// route (constant memory, a progress bar on a terminal);
// `sign` asks POST /api/signed-urls for a signed (optionally one-time) GET or PUT URL.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/transfer.h"

namespace era::cli {
namespace {

std::string r2_path(const std::string& ns, const std::string& key) {
  return "/api/storage/r2/" + encode(ns) + (key.empty() ? "" : "/" + encode(key, true));
}

// The binary route: bodies as raw bytes, streamed on both sides.
std::string raw_path(const std::string& ns, const std::string& key) {
  return "/api/r2/" + encode(ns) + "/" + encode(key, true);
}

}  // namespace

void setup_r2(CLI::App& app) {
  auto* r2 = app.add_subcommand("r2", "Read and write R2 objects (files in and out)");
  r2->require_subcommand(1);
  struct Args {
    std::string ns, key, file, out, metadata, prefix, content_type;
  };

  auto g = std::make_shared<Args>();
  auto* get = r2->add_subcommand("get", "Write an object's body to --out FILE (or stdout), streamed");
  get->add_option("bucket", g->ns)->required();
  get->add_option("key", g->key)->required();
  get->add_option("--out,-o", g->out, "Write the body to this file (replaced only once complete)");
  get->footer("Examples:\n  era-emu r2 get files avatars/ada.png -o ada.png\n  era-emu r2 get files notes.txt | less");
  auto cg = add_conn_options(get);
  get->callback([g, cg] {
    run_and_exit([&] {
      // Into a temp sibling, renamed over --out only when the whole body has arrived.
      std::string tmp = g->out.empty() ? "" : g->out + ".era-part-" + std::to_string(::getpid());
      std::FILE* out = g->out.empty() ? stdout : std::fopen(tmp.c_str(), "wb");
      if (!out) {
        std::cerr << "era-emu: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
        return 2;
      }
      Download d = download(*cg, raw_path(g->ns, g->key), out, g->ns + "/" + g->key);
      bool ok = d.reply.reached && d.reply.status < 400;
      if (!g->out.empty()) {
        ok = (std::fclose(out) == 0) && ok;
        if (ok && std::rename(tmp.c_str(), g->out.c_str()) != 0) {
          std::cerr << "era-emu: cannot rename " << tmp << " to " << g->out << ": " << std::strerror(errno) << "\n";
          std::remove(tmp.c_str());
          return 1;
        }
        if (!ok) std::remove(tmp.c_str());
      } else {
        std::fflush(stdout);
      }
      if (d.reply.local_error) {
        std::cerr << "era-emu: " << d.reply.error << "\n";
        return 1;
      }
      if (!d.reply.reached || d.reply.status >= 400) return finish(*cg, d.reply, nullptr);
      if (!g->out.empty()) {
        if (cg->json_out)
          std::cout << json{{"bucket", g->ns}, {"key", g->key}, {"size", d.bytes}, {"etag", d.etag},
                            {"contentType", d.content_type}, {"file", g->out}}.dump() << "\n";
        else
          std::cerr << "wrote " << d.bytes << " bytes to " << g->out << " (" << d.content_type << ")\n";
      }
      return 0;
    });
  });

  auto p = std::make_shared<Args>();
  auto* put = r2->add_subcommand(
      "put", "Upload FILE (or - for stdin) as bucket/key, streamed: constant memory at any size (R2's 5 GiB limit)");
  put->add_option("bucket", p->ns)->required();
  put->add_option("key", p->key)->required();
  put->add_option("file", p->file, "The body: a file, or - for stdin")->required();
  put->add_option("--content-type,-t", p->content_type,
                  "Content-Type to store (default: from the file's extension, else application/octet-stream)");
  put->add_option("--metadata,-m", p->metadata,
                  "Custom metadata as a JSON object of strings (names are stored lower-cased)");
  put->footer("Examples:\n  era-emu r2 put files avatars/ada.png ./ada.png\n"
              "  era-emu r2 put files big.bin ./big.bin -m '{\"owner\":\"ada\"}'\n"
              "  tar c src | era-emu r2 put files src.tar - -t application/x-tar");
  auto cp = add_conn_options(put);
  put->callback([p, cp] {
    run_and_exit([&] {
      bool from_stdin = p->file == "-";
      std::FILE* in = from_stdin ? stdin : std::fopen(p->file.c_str(), "rb");
      struct stat st {};
      if (!in || ::fstat(::fileno(in), &st) != 0) {
        std::cerr << "era-emu: cannot read " << p->file << ": " << std::strerror(errno) << "\n";
        return 2;
      }
      if (S_ISDIR(st.st_mode)) {
        std::cerr << "era-emu: " << p->file << " is a directory\n";
        return 2;
      }
      int64_t size = S_ISREG(st.st_mode) ? int64_t(st.st_size) : -1;  // pipes: chunked
      HeaderList headers;
      headers.emplace_back("Content-Type", !p->content_type.empty() ? p->content_type
                                           : from_stdin             ? "application/octet-stream"
                                                                    : content_type_for(p->file));
      if (!p->metadata.empty()) {
        json m = json::parse(p->metadata, nullptr, false);
        if (!m.is_object()) {
          std::cerr << "era-emu: --metadata must be a JSON object of strings\n";
          return 2;
        }
        for (auto it = m.begin(); it != m.end(); ++it) {
          if (!it.value().is_string()) {
            std::cerr << "era-emu: --metadata value of \"" << it.key() << "\" is not a string\n";
            return 2;
          }
          headers.emplace_back("X-Era-Meta-" + it.key(), it.value().get<std::string>());
        }
      }
      ProgressBar bar(p->ns + "/" + p->key, size);
      Reply rep = upload(*cp, raw_path(p->ns, p->key), headers, in, size, bar);
      if (!from_stdin) std::fclose(in);
      if (rep.local_error) {
        std::cerr << "era-emu: " << rep.error << "\n";
        return 2;
      }
      return finish(*cp, rep, [&](const json& j) {
        std::cout << "put " << p->ns << "/" << p->key << " (" << j.value("size", int64_t(0)) << " bytes, "
                  << headers.front().second << ", etag " << j.value("etag", "") << ")\n";
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
