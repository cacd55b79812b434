#include "era/testkit/emulator.h"

#include <cstdlib>

#include "era/emulator.h"

namespace era::testkit {

Failure::Failure(const std::string& call, client::Error e)
    : std::runtime_error("era-emu " + call + " failed: " + e.describe()), error_(std::move(e)) {}

struct Emulator::State {
  std::unique_ptr<era::Emulator> local;  // null when attached
  std::string url;
  std::unique_ptr<client::Client> client;
};

Emulator::Emulator(std::unique_ptr<State> s) : s_(std::move(s)) {}
Emulator::Emulator(Emulator&&) noexcept = default;
Emulator& Emulator::operator=(Emulator&&) noexcept = default;
Emulator::~Emulator() {
  if (!s_ || !s_->local) return;
  // Close our keep-alive connection first: the server's stop() waits for idle connections to
  // time out (5 s) before it returns.
  s_->client.reset();
  s_->local->stop();
}

Emulator Emulator::start(const Options& o) {
  era::Options eo;
  eo.host = "127.0.0.1";
  eo.port = 0;
  eo.memory = o.data_dir.empty();
  if (!o.data_dir.empty()) eo.data_dir = o.data_dir;
  eo.token = o.token;
  eo.log_level = o.log_level;
  eo.threads = o.threads;
  eo.clock_mode = o.frozen_clock ? "frozen" : "real";
  eo.clock_start_ms = o.clock_start_ms;
  auto started = era::Emulator::start(eo);
  if (!started) throw Failure("start", client::Error{0, "START_FAILED", started.error().message, nullptr});
  auto s = std::make_unique<State>();
  s->local = std::move(*started);
  s->url = s->local->url();
  s->client = std::make_unique<client::Client>(client::Config{.url = s->url, .token = o.token});
  Emulator emu(std::move(s));
  // Seeds go through the control API, like every other state change, so attach and start agree.
  for (const auto& f : o.seed_files) emu.seed(f);
  return emu;
}

Emulator Emulator::attach(const std::string& url, const std::string& token) {
  auto s = std::make_unique<State>();
  s->url = url;
  s->client = std::make_unique<client::Client>(client::Config{.url = url, .token = token});
  Emulator emu(std::move(s));
  unwrap(emu.client().control().health(), "attach (GET /_emu/health)");
  return emu;
}

Emulator Emulator::from_env(const Options& o) {
  const char* url = std::getenv("ERA_EMU_URL");
  if (url && *url) {
    const char* token = std::getenv("ERA_EMU_TOKEN");
    return attach(url, token ? token : o.token);
  }
  return start(o);
}

const std::string& Emulator::url() const { return s_->url; }
bool Emulator::in_process() const { return s_->local != nullptr; }
client::Client& Emulator::client() const { return *s_->client; }

void Emulator::reset(const client::ResetOptions& o) const { unwrap(client().control().reset(o), "reset"); }

void Emulator::seed(const std::filesystem::path& file) const {
  unwrap(client().control().seed_file(file), "seed");
}
void Emulator::seed(const nlohmann::json& document) const {
  unwrap(client().control().seed(document), "seed");
}
void Emulator::snapshot(const std::string& name) const {
  unwrap(client().control().save_snapshot(name), "snapshot");
}
void Emulator::restore(const std::string& name) const {
  unwrap(client().control().restore_snapshot(name), "restore");
}
std::vector<client::SnapshotInfo> Emulator::snapshots() const {
  return unwrap(client().control().snapshots(), "snapshots");
}
std::vector<client::Event> Emulator::events(int64_t since) const {
  return unwrap(client().control().events(since), "events").events;
}
int64_t Emulator::event_mark() const {
  return unwrap(client().control().events(0), "events").next;
}

// ---- clock ----

client::ClockState Clock::now() const { return unwrap(c_->control().time(), "clock"); }
client::ClockState Clock::freeze() const { return unwrap(c_->control().freeze(), "clock freeze"); }
client::ClockState Clock::resume() const { return unwrap(c_->control().resume(), "clock resume"); }
client::ClockState Clock::advance(std::chrono::milliseconds by) const {
  return unwrap(c_->control().advance(by), "clock advance");
}
client::ClockState Clock::set(const std::string& iso) const {
  return unwrap(c_->control().set_time(iso), "clock set");
}
client::ClockState Clock::set(std::chrono::system_clock::time_point t) const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return unwrap(c_->control().set_time_ms(ms), "clock set");
}
client::ClockState Clock::reset() const { return unwrap(c_->control().reset_clock(), "clock reset"); }

// ---- faults ----

client::Fault Faults::add(const client::FaultRule& rule) const {
  return unwrap(c_->control().add_fault(rule), "fault add");
}
client::Fault Faults::add(const nlohmann::json& rule) const {
  return unwrap(c_->control().add_fault(rule), "fault add");
}
std::vector<client::Fault> Faults::list() const { return unwrap(c_->control().faults(), "fault list"); }
client::Fault Faults::get(const std::string& id) const {
  for (auto& f : list())
    if (f.id == id) return f;
  throw Failure("fault get", client::Error{404, "FAULT_NOT_FOUND", "no fault rule with id " + id, nullptr});
}
void Faults::remove(const std::string& id) const { unwrap(c_->control().remove_fault(id), "fault remove"); }
void Faults::clear() const { unwrap(c_->control().clear_faults(), "fault clear"); }

}  // namespace era::testkit
