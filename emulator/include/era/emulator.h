#pragma once
// era-emu's public C++ surface: run the emulator in this process (the C++ testkit does) with the
// same code the era-emu binary runs.
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace era {

struct StartError {
  std::string message;  // what failed and why, ready to print
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 8787;                  // 0 = any free port; read it back with Emulator::port()
  std::string data_dir = ".era-emu";
  bool memory = false;              // private temp data dir, removed when the emulator stops
  bool durable = false;             // fsync every commit (power-loss safety); default survives kill -9
  std::string token;                // require "Authorization: Bearer <token>" on every route but health, /public/, /signed/
  bool control = true;              // serve /_emu (health is always served)
  size_t threads = 0;               // handler threads: requests that run at once (idle connections take
                                    // none); 0: default_threads()
  int64_t header_timeout_ms = 10000;  // a request head must arrive within this
  int64_t body_timeout_ms = 30000;    // a body gets this plus 1 s per 64 KiB received
  int64_t idle_timeout_ms = 60000;    // an idle keep-alive connection is closed after this
  std::vector<std::string> allow_hosts;   // Host names served besides localhost and IP literals ("*" = any)
  std::vector<std::string> cors_origins;  // browser origins allowed to call the API ("*" = any)
  std::string s3_access_key = "era-emu";         // the S3 endpoint's (/s3) SigV4 key pair
  std::string s3_secret_key = "era-emu-secret";
  std::string clock_mode = "real";  // "real" | "frozen"
  std::optional<int64_t> clock_start_ms;  // start the virtual clock at this instant
  int64_t sweep_interval_ms = 1000;       // background expiry sweep period (real time); 0 = off
  std::vector<std::string> seed_files;    // fixture documents applied at start
  std::string config_file;                // era-emu.json or a wrangler file (declared products)
  std::string wrangler_env;               // a wrangler file's [env.NAME] (as `wrangler --env`)
  bool strict = false;                    // unknown namespaces are 404 unless declared
  int64_t kv_propagation_delay_ms = 60000;  // KV write → other locations (clock time); 0 = strong
  bool kv_rate_limit = false;               // 1 write/s/key like production (429)
  int64_t d1_query_timeout_ms = 30000;      // a D1 query, exec or batch is stopped after this (production: 30 s)
  int64_t admin_wait_ms = 10000;            // reset/restore/seed/snapshots wait this long for running requests (then 503 STATE_BUSY)
  std::string log_level = "info";
};

class Emulator {
 public:
  // Opens (or creates) the data directory, locks it, opens the stores, binds host:port and
  // starts serving on background threads. Fails, with the OS reason, if the data directory is
  // locked by another instance or not writable, or the socket cannot be bound.
  static std::expected<std::unique_ptr<Emulator>, StartError> start(const Options& options);

  // Stops accepting, finishes in-flight requests, closes the stores (and removes a --memory
  // data dir). Idempotent; the destructor calls it.
  void stop();
  // Blocks until stop() has been called (from another thread or a signal handler thread).
  void wait();

  // Writes the current state to `dir` as a data directory `era-emu up --data dir` opens (see
  // admin::Admin::export_data_dir); returns the bytes written, or why it could not.
  std::expected<int64_t, std::string> export_data_dir(const std::string& dir);

  int port() const;
  std::string url() const;  // http://host:port
  const std::string& data_dir() const;

  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  struct Impl;

 private:
  explicit Emulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

const char* version();
// Handler threads when Options::threads is 0: twice the CPU cores, from 4 to 16. More runnable
// threads than that only add context switches: on 2 cores, 16 threads made D1 point selects
// slower (25k vs 30k req/s) and, beside another busy process, doubled their p99.
size_t default_threads();
// KV keys the background sweep looks at per tick (a few ms of one thread); the next tick goes on
// from there. The sweep only reclaims space: expired and deleted keys already read as misses.
inline constexpr size_t kSweepKeysPerTick = 20000;

}  // namespace era
