#include "cli/client.h"

#include <CLI/CLI.hpp>
#include <httplib.h>

#include <cstdlib>
#include <iostream>

#include "core/url.h"

namespace era::cli {

std::shared_ptr<Conn> add_conn_options(CLI::App* verb) {
  auto c = std::make_shared<Conn>();
  verb->add_option("--url", c->url, "Emulator URL (default $ERA_STORAGE_URL, then http://127.0.0.1:8787)");
  verb->add_option("--token", c->token, "Bearer token (default $ERA_EMU_TOKEN)");
  verb->add_flag("--json", c->json_out, "Print the raw JSON answer (for scripts)");
  verb->parse_complete_callback([c] {
    if (c->url.empty()) {
      const char* env = std::getenv("ERA_STORAGE_URL");
      c->url = env && *env ? env : "http://127.0.0.1:8787";
    }
    while (!c->url.empty() && c->url.back() == '/') c->url.pop_back();
    if (c->token.empty())
      if (const char* t = std::getenv("ERA_EMU_TOKEN")) c->token = t;
  });
  return c;
}

std::unique_ptr<httplib::Client> http_client(const Conn& c, int read_timeout_s) {
  auto http = std::make_unique<httplib::Client>(c.url);
  http->set_connection_timeout(5, 0);
  http->set_read_timeout(read_timeout_s, 0);
  http->set_write_timeout(read_timeout_s, 0);
  http->set_url_encode(false);  // paths are encoded here
  http->set_tcp_nodelay(true);
  if (!c.token.empty()) http->set_default_headers({{"Authorization", "Bearer " + c.token}});
  return http;
}

std::string unreachable(const Conn& c, const std::string& why) {
  return "cannot reach " + c.url + " (" + why +
         "); is era-emu running? Start it with `era-emu up`, or pass --url / set ERA_STORAGE_URL";
}

json Reply::parsed() const { return json::parse(body, nullptr, false); }

Reply request(const Conn& c, const std::string& method, const std::string& path,
              const std::string& body, const std::string& content_type) {
  Reply out;
  auto client = http_client(c);
  httplib::Client& http = *client;
  httplib::Headers h;
  httplib::Result r = method == "GET"      ? http.Get(path, h)
                      : method == "DELETE" ? http.Delete(path, h)
                      : method == "PUT"    ? http.Put(path, h, body, content_type)
                                           : http.Post(path, h, body, content_type);
  if (!r) {
    out.error = unreachable(c, httplib::to_string(r.error()));
    return out;
  }
  out.reached = true;
  out.status = r->status;
  out.body = r->body;
  return out;
}

int finish(const Conn& c, const Reply& r, const std::function<void(const json&)>& human) {
  if (!r.reached) {
    std::cerr << "era-emu: " << r.error << "\n";
    return 3;
  }
  json j = r.parsed();
  if (r.status >= 400) {
    if (c.json_out) std::cout << r.body << "\n";
    std::string msg = j.is_object() && j.contains("error") ? j["error"].dump() : r.body;
    if (j.is_object() && j["error"].is_string()) msg = j["error"].get<std::string>();
    std::string code = j.is_object() && j["code"].is_string() ? j["code"].get<std::string>() : "";
    if (j.is_object() && j.contains("details") && !j["details"].is_null())
      msg += ": " + (j["details"].is_string() ? j["details"].get<std::string>() : j["details"].dump());
    if (j.is_object() && j["statement_index"].is_number()) msg += " (statement " + j["statement_index"].dump() + ")";
    std::cerr << "era-emu: " << r.status << (code.empty() ? "" : " " + code) << ": " << msg << "\n";
    return 1;
  }
  if (c.json_out) {
    std::cout << (j.is_discarded() ? r.body : j.dump(2)) << "\n";
  } else if (human) {
    human(j);
  }
  return 0;
}

std::string encode(const std::string& s, bool keep_slash) { return core::percent_encode(s, keep_slash); }

void run_and_exit(const std::function<int()>& fn) {
  int code = fn();
  std::cout.flush();
  std::exit(code);
}

void print_table(const nlohmann::ordered_json& rows) {
  if (!rows.is_array() || rows.empty()) {
    std::cout << "(no rows)\n";
    return;
  }
  std::vector<std::string> cols;
  for (auto it = rows[0].begin(); it != rows[0].end(); ++it) cols.push_back(it.key());
  using ojson = nlohmann::ordered_json;
  auto cell = [](const ojson& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  std::vector<size_t> width;
  for (const auto& c : cols) width.push_back(c.size());
  for (const auto& r : rows)
    for (size_t i = 0; i < cols.size(); ++i)
      width[i] = std::max(width[i], cell(r.value(cols[i], ojson(nullptr))).size());
  auto line = [&](const std::function<std::string(size_t)>& at) {
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string v = at(i);
      std::cout << (i ? " | " : "") << v << std::string(width[i] - std::min(width[i], v.size()), ' ');
    }
    std::cout << "\n";
  };
  line([&](size_t i) { return cols[i]; });
  line([&](size_t i) { return std::string(width[i], '-'); });
  for (const auto& r : rows) line([&](size_t i) { return cell(r.value(cols[i], ojson(nullptr))); });
  std::cout << "(" << rows.size() << " row" << (rows.size() == 1 ? "" : "s") << ")\n";
}

}  // namespace era::cli
