// D1 over /api/storage/d1/{ns}/{query|exec|batch}.
#include "transport.h"

namespace era::client {
namespace {

std::string d1_path(const std::string& ns, const char* op) {
  return "/api/storage/d1/" + encode_component(ns) + "/" + op;
}

D1Result result_from(const json& j) {
  D1Result r;
  if (auto it = j.find("results"); it != j.end() && it->is_array()) r.results = *it;
  if (auto it = j.find("meta"); it != j.end() && it->is_object()) r.meta = *it;
  return r;
}

json statement_json(const std::string& sql, const json& params) {
  return {{"sql", sql}, {"params", params.is_null() ? json::array() : params}};
}

}  // namespace

Result<D1Result> D1Database::query(const std::string& sql, const json& params) const {
  json body = statement_json(sql, params);
  auto j = c_->impl().call("POST", d1_path(ns_, "query"), &body);
  if (!j) return std::unexpected(j.error());
  return result_from(*j);
}

Result<json> D1Database::exec(const std::string& sql, const json& params) const {
  json body = statement_json(sql, params);
  auto j = c_->impl().call("POST", d1_path(ns_, "exec"), &body);
  if (!j) return std::unexpected(j.error());
  return j->value("meta", json::object());
}

Result<std::vector<D1Result>> D1Database::batch(const std::vector<D1Statement>& statements) const {
  json body = {{"statements", json::array()}};
  for (const auto& s : statements) body["statements"].push_back(statement_json(s.sql, s.params));
  auto j = c_->impl().call("POST", d1_path(ns_, "batch"), &body);
  if (!j) return std::unexpected(j.error());
  auto it = j->find("results");
  if (it == j->end() || !it->is_array()) return std::unexpected(bad_reply("no \"results\" in D1 batch reply", j->dump()));
  std::vector<D1Result> out;
  for (const auto& r : *it) out.push_back(result_from(r));
  return out;
}

Result<std::optional<json>> D1Database::first(const std::string& sql, const json& params) const {
  auto r = query(sql, params);
  if (!r) return std::unexpected(r.error());
  if (r->results.empty()) return std::optional<json>();
  return std::optional<json>(r->results.front());
}

}  // namespace era::client
