#pragma once
// era::testkit::Emulator — era-emu inside a C++ test suite.
//
//   auto emu = era::testkit::Emulator::start();        // in this process, 127.0.0.1, port 0
//   emu.kv("app").put("k", "v", {.expiration_ttl = 60s});
//   emu.clock().advance(61s);
//   REQUIRE_THAT(emu.kv("app"), !HasKey("k"));
//   emu.reset();                                        // between tests: a few ms
//
// All state changes go through the control API (/_emu), so an attached emulator (another
// process, another machine) behaves exactly like an in-process one. Calls throw
// testkit::Failure (see views.h) when the emulator rejects them; test frameworks report that
// as a failed test with the emulator's error code and message.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "era/client.h"
#include "era/testkit/views.h"

namespace era::testkit {

struct Options {
  std::string data_dir{};                 // empty = private temp dir, removed at stop
  std::vector<std::filesystem::path> seed_files{};  // applied at start (and kept by snapshot())
  std::string token{};                    // require/send "Authorization: Bearer <token>"
  bool frozen_clock = false;            // start with the virtual clock frozen
  std::optional<int64_t> clock_start_ms{};
  std::string log_level = "warn";
  size_t threads = 0;  // handler threads; 0: era::default_threads() (twice the cores, 4 to 16)
};

class Clock {
 public:
  explicit Clock(client::Client& c) : c_(&c) {}
  client::ClockState now() const;
  client::ClockState freeze() const;
  client::ClockState resume() const;
  client::ClockState advance(std::chrono::milliseconds by) const;
  client::ClockState set(const std::string& iso8601) const;  // e.g. "2030-01-01T00:00:00Z"
  client::ClockState set(std::chrono::system_clock::time_point t) const;
  client::ClockState reset() const;  // back to real time

 private:
  client::Client* c_;
};

class Faults {
 public:
  explicit Faults(client::Client& c) : c_(&c) {}
  client::Fault add(const client::FaultRule& rule) const;
  client::Fault add(const nlohmann::json& rule) const;
  std::vector<client::Fault> list() const;
  client::Fault get(const std::string& id) const;  // throws Failure if absent
  void remove(const std::string& id) const;
  void clear() const;

 private:
  client::Client* c_;
};

class Emulator {
 public:
  // Starts era-emu in this process on 127.0.0.1, port 0. Throws Failure (code START_FAILED)
  // if it cannot start.
  static Emulator start(const Options& options = {});
  // Talks to an emulator that is already running (nothing is started or stopped).
  static Emulator attach(const std::string& url, const std::string& token = {});
  // attach($ERA_EMU_URL, $ERA_EMU_TOKEN) when ERA_EMU_URL is set, else start(options).
  static Emulator from_env(const Options& options = {});

  Emulator(Emulator&&) noexcept;
  Emulator& operator=(Emulator&&) noexcept;
  ~Emulator();  // stops an in-process emulator

  const std::string& url() const;
  bool in_process() const;
  client::Client& client() const;  // a client bound to url(), with the token

  // Clears storage (and, unless kept, faults and the clock): POST /_emu/reset.
  void reset(const client::ResetOptions& options = {}) const;
  Clock clock() const { return Clock(client()); }
  Faults faults() const { return Faults(client()); }
  // A fixture document (file: R2 "file" entries resolved next to it) — POST /_emu/seed.
  void seed(const std::filesystem::path& file) const;
  void seed(const nlohmann::json& document) const;
  void snapshot(const std::string& name = "baseline") const;
  void restore(const std::string& name = "baseline") const;
  std::vector<client::SnapshotInfo> snapshots() const;
  // Operations recorded since `since` (a seq number; 0 = all still buffered).
  std::vector<client::Event> events(int64_t since = 0) const;
  // The seq to pass as `since` to see only what happens from now on.
  int64_t event_mark() const;

  KvView kv(std::string ns) const { return KvView(client(), std::move(ns)); }
  R2View r2(std::string ns) const { return R2View(client(), std::move(ns)); }
  D1View d1(std::string ns) const { return D1View(client(), std::move(ns)); }

  struct State;

 private:
  explicit Emulator(std::unique_ptr<State> s);
  std::unique_ptr<State> s_{};
};

}  // namespace era::testkit
