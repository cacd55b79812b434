// POST /_emu/seed and `era-emu up --seed FILE`: validate the whole fixture document first,
// then apply it under the exclusive lock. D1 goes first (the only part SQLite can still refuse)
// with a backup of the D1 databases to roll back to, so a failing statement leaves nothing.
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>

#include "admin/admin.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/names.h"
#include "d1/engine.h"
#include "kv/engine.h"
#include "kv/validate.h"
#include "r2/engine.h"
#include "store/paths.h"

namespace era::admin {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

struct KvItem {
  std::string ns, key, value;
  kv::PutOptions opts;
};
struct R2Item {
  std::string bucket, key, body;
  r2::PutOptions opts;
};
struct D1Item {
  std::string ns;
  std::vector<d1::StatementInput> statements;
};
struct Plan {
  std::vector<KvItem> kv;
  std::vector<R2Item> r2;
  std::vector<D1Item> d1;
};

std::unexpected<Error> bad(const std::string& path, const std::string& msg) {
  return fail(Error(Code::INVALID_SEED, "invalid seed document at " + path + ": " + msg +
                                            " (nothing was applied)")
                  .with_details({{"path", path}}));
}

// Wraps an engine's validation error so the caller sees which entry it came from.
std::unexpected<Error> bad_from(const std::string& path, const Error& e) {
  return fail(Error(Code::INVALID_SEED, "invalid seed document at " + path + ": " + e.message +
                                            " (nothing was applied)")
                  .with_details({{"path", path}, {"cause", std::string(to_string(e.code))}}));
}

Status check_ns(const std::string& path, const std::string& ns) {
  if (auto e = core::validate_namespace(ns)) return bad_from(path, *e);
  return {};
}

Result<std::optional<int64_t>> opt_int(const json& obj, const char* f, const std::string& path,
                                       std::string& raw) {
  auto it = obj.find(f);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer()) return bad(path + "." + f, "must be an integer number of seconds");
  raw = std::to_string(it->get<int64_t>());
  return std::optional<int64_t>(it->get<int64_t>());
}

Status plan_kv(const json& kvdoc, int64_t now_ms, Plan& plan) {
  if (!kvdoc.is_object()) return bad("kv", "must be an object {namespace: {key: value}}");
  for (auto n = kvdoc.begin(); n != kvdoc.end(); ++n) {
    const std::string ns = n.key(), npath = "kv." + ns;
    ERA_TRY(check_ns(npath, ns));
    if (!n->is_object()) return bad(npath, "must be an object {key: value | {value, metadata, expirationTtl}}");
    for (auto k = n->begin(); k != n->end(); ++k) {
      const std::string path = npath + "." + k.key();
      if (auto e = kv::validate_key(k.key())) return bad_from(path, *e);
      KvItem item{ns, k.key(), {}, {}};
      if (k->is_string()) {
        item.value = k->get<std::string>();
      } else if (k->is_object()) {
        for (auto f = k->begin(); f != k->end(); ++f)
          if (f.key() != "value" && f.key() != "metadata" && f.key() != "expirationTtl" &&
              f.key() != "expiration")
            return bad(path + "." + f.key(), "unknown field (use value, metadata, expirationTtl, expiration)");
        auto v = k->find("value");
        if (v == k->end() || !v->is_string()) return bad(path + ".value", "a string \"value\" is required");
        item.value = v->get<std::string>();
        if (auto m = k->find("metadata"); m != k->end() && !m->is_null()) {
          std::string dumped = m->dump(-1, ' ', false, json::error_handler_t::replace);
          if (auto e = kv::validate_metadata(dumped)) return bad_from(path + ".metadata", *e);
          item.opts.metadata = *m;
        }
        kv::ExpirationInput exp;
        auto ttl = opt_int(*k, "expirationTtl", path, exp.ttl_raw);
        if (!ttl) return fail(ttl.error());
        exp.ttl = *ttl;
        auto abs = opt_int(*k, "expiration", path, exp.expiration_raw);
        if (!abs) return fail(abs.error());
        exp.expiration = *abs;
        auto resolved = kv::resolve_expiration(exp, now_ms);
        if (!resolved) return bad_from(path, resolved.error());
        item.opts.expiration = *resolved;
      } else {
        return bad(path, "must be a string or {\"value\": \"...\", \"metadata\"?, \"expirationTtl\"?}");
      }
      if (auto e = kv::validate_value(item.value)) return bad_from(path, *e);
      plan.kv.push_back(std::move(item));
    }
  }
  return {};
}

Result<std::string> read_file(const fs::path& p, const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return bad(path, "file " + p.string() + " does not exist or is not a regular file");
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return bad(path, "cannot read " + p.string());
  return ss.str();
}

Status plan_r2(const json& doc, r2::Engine& engine, const std::optional<fs::path>& base, Plan& plan) {
  if (!doc.is_object()) return bad("r2", "must be an object {bucket: {key: {text|base64|file, contentType?}}}");
  for (auto b = doc.begin(); b != doc.end(); ++b) {
    const std::string bucket = b.key(), bpath = "r2." + bucket;
    ERA_TRY(check_ns(bpath, bucket));
    if (!b->is_object()) return bad(bpath, "must be an object {key: {text|base64|file, contentType?}}");
    for (auto k = b->begin(); k != b->end(); ++k) {
      const std::string path = bpath + "." + k.key();
      if (!k->is_object()) return bad(path, "must be an object with one of text, base64 or file");
      R2Item item{bucket, k.key(), {}, {}};
      int sources = 0;
      for (auto f = k->begin(); f != k->end(); ++f) {
        const std::string& name = f.key();
        const std::string fpath = path + "." + name;
        if (name == "text" || name == "base64" || name == "file") {
          if (!f->is_string()) return bad(fpath, "must be a string");
          ++sources;
          const std::string s = f->get<std::string>();
          if (name == "text") {
            item.body = s;
          } else if (name == "base64") {
            auto d = core::base64_decode(s);
            if (!d) return bad(fpath, "is not valid base64");
            item.body = std::move(*d);
          } else {
            if (!base)
              return bad(fpath, "file references are resolved against the document's own location; "
                                "over HTTP send the bytes as \"base64\" (era-emu seed FILE does this)");
            if (s.empty()) return bad(fpath, "must name a file");
            auto body = read_file(*base / s, fpath);
            if (!body) return fail(body.error());
            item.body = std::move(*body);
          }
        } else if (name == "contentType") {
          if (!f->is_string()) return bad(fpath, "must be a string");
          item.opts.http.content_type = f->get<std::string>();
        } else if (name == "metadata" || name == "customMetadata") {
          if (!f->is_object()) return bad(fpath, "must be an object of string values");
          for (auto m = f->begin(); m != f->end(); ++m) {
            if (!m->is_string()) return bad(fpath + "." + m.key(), "custom metadata values must be strings");
            item.opts.custom[m.key()] = m->get<std::string>();
          }
        } else {
          return bad(fpath, "unknown field (use text | base64 | file, contentType, metadata)");
        }
      }
      if (sources != 1) return bad(path, "give exactly one of \"text\", \"base64\" or \"file\"");
      if (auto st = engine.check_put(bucket, item.key, item.opts); !st) return bad_from(path, st.error());
      if (item.body.size() > engine.options().max_put_bytes)
        return bad(path, "body of " + std::to_string(item.body.size()) + " bytes exceeds the single-PUT limit");
      plan.r2.push_back(std::move(item));
    }
  }
  return {};
}

Status plan_d1(const json& doc, Plan& plan) {
  if (!doc.is_object()) return bad("d1", "must be an object {namespace: [\"SQL\", ...]}");
  for (auto n = doc.begin(); n != doc.end(); ++n) {
    const std::string ns = n.key(), path = "d1." + ns;
    ERA_TRY(check_ns(path, ns));
    D1Item item{ns, {}};
    auto add = [&](const json& s, const std::string& p) -> Status {
      if (!s.is_string() || s.get<std::string>().find_first_not_of(" \t\r\n;") == std::string::npos)
        return bad(p, "must be a non-empty SQL string");
      item.statements.push_back(d1::StatementInput{s.get<std::string>(), {}});
      return {};
    };
    if (n->is_string())
      return bad(path, "must be an array of SQL strings: wrap the statement in [ ]");
    if (!n->is_array() || n->empty()) return bad(path, "must be a non-empty array of SQL strings");
    for (size_t i = 0; i < n->size(); ++i) ERA_TRY(add((*n)[i], path + "[" + std::to_string(i) + "]"));
    plan.d1.push_back(std::move(item));
  }
  return {};
}

}  // namespace

Result<json> Admin::seed(const json& doc, const std::optional<fs::path>& base_dir) {
  auto t0 = std::chrono::steady_clock::now();
  if (!doc.is_object()) return bad("$", "the seed document must be a JSON object {kv?, r2?, d1?}");
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it.key() != "kv" && it.key() != "r2" && it.key() != "d1" && it.key() != "$schema" &&
        it.key() != "description")
      return bad(it.key(), "unknown top-level field (use kv, r2, d1)");

  OpContext ctx;
  ctx.now_ms = d_.clock.now_ms();
  Plan plan;
  if (auto it = doc.find("kv"); it != doc.end()) ERA_TRY(plan_kv(*it, ctx.now_ms, plan));
  if (auto it = doc.find("r2"); it != doc.end()) ERA_TRY(plan_r2(*it, d_.r2, base_dir, plan));
  if (auto it = doc.find("d1"); it != doc.end()) ERA_TRY(plan_d1(*it, plan));

  auto lock = exclusive("seed", true);
  if (!lock) return fail(lock.error());
  size_t statements = 0;
  if (!plan.d1.empty()) {
    const fs::path backup = d_.paths.snapshot(".seed-rollback");
    std::error_code ec;
    fs::remove_all(backup, ec);
    fs::create_directories(backup, ec);
    if (ec) return fail(Code::STORE_IO, "cannot create " + backup.string() + ": " + ec.message());
    struct Cleanup {
      fs::path p;
      ~Cleanup() {
        std::error_code e;
        fs::remove_all(p, e);
      }
    } cleanup{backup};
    ERA_TRY(d_.d1.snapshot_to(backup));
    for (const D1Item& item : plan.d1) {
      auto r = d_.d1.batch(ctx, item.ns, item.statements);
      if (!r) {
        Status back = d_.d1.restore_from(backup);
        Error e = r.error();
        std::string path = "d1." + item.ns;
        if (e.details.is_object() && e.details.contains("statement_index"))
          path += "[" + e.details["statement_index"].dump() + "]";
        if (!back) return fail(back.error());
        return bad_from(path, e);
      }
      statements += item.statements.size();
    }
  }
  for (const KvItem& item : plan.kv) ERA_TRY(d_.kv.put(ctx, item.ns, item.key, item.value, item.opts));
  for (const R2Item& item : plan.r2) {
    auto r = d_.r2.put_bytes(ctx, item.bucket, item.key, item.body, item.opts);
    if (!r) return fail(r.error());
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return json{{"seeded", {{"kv", plan.kv.size()}, {"r2", plan.r2.size()}, {"d1", statements}}},
              {"duration_ms", ms}};
}

}  // namespace era::admin
