#pragma once
// What every control verb shares: where the emulator is (--url, else $ERA_STORAGE_URL, else
// http://127.0.0.1:8787), the bearer token (--token, else $ERA_EMU_TOKEN), --json output, and
// one request helper. Exit codes: 0 ok, 1 the emulator answered with an error, 2 bad usage or
// input, 3 the emulator could not be reached.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace CLI { class App; }
namespace httplib { class Client; }

namespace era::cli {

using json = nlohmann::json;

struct Conn {
  std::string url;
  std::string token;
  bool json_out = false;
};

// Adds --url, --token and --json to a verb; the returned Conn is filled at parse time.
std::shared_ptr<Conn> add_conn_options(CLI::App* verb);

struct Reply {
  bool reached = false;  // false: connection failed, or local_error (error says why)
  bool local_error = false;  // a local file could not be read or written (not the emulator's fault)
  int status = 0;
  std::string body;
  std::string error;
  json parsed() const;   // discarded json when not JSON
};

// An HTTP client for c.url (5 s to connect, read_timeout_s per read, paths sent as given).
std::unique_ptr<httplib::Client> http_client(const Conn& c, int read_timeout_s = 120);
// "cannot reach URL (why); is `era-emu up` running? ..." for a failed connection.
std::string unreachable(const Conn& c, const std::string& why);

Reply request(const Conn& c, const std::string& method, const std::string& path,
              const std::string& body = "", const std::string& content_type = "application/json");

// Prints the reply: raw JSON with --json, else human(body). An error prints its status, code,
// message and details (D1: SQLite's own text) on stderr. Returns the exit code.
int finish(const Conn& c, const Reply& r, const std::function<void(const json&)>& human);

// Percent-encodes a path segment; keep_slash leaves '/' (for keys).
std::string encode(const std::string& s, bool keep_slash = false);

// Runs a verb's action and exits with its code (CLI11 callbacks return void).
void run_and_exit(const std::function<int()>& fn);

// Prints rows (array of objects) as an aligned text table, columns in the order of the first
// row's keys (parse with nlohmann::ordered_json to keep a SELECT's order).
void print_table(const nlohmann::ordered_json& rows);

}  // namespace era::cli
