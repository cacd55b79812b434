// The composition root: the only file that names the stores, the engines, the guard and the
// server together, and that owns the background threads.
#include "era/emulator.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "admin/registry.h"
#include "admin/admin.h"
#include "admin/migrations.h"
#include "api/guard.h"
#include "api/server.h"
#include "app/data_dir.h"
#include "app/declarations.h"
#include "app/encryption.h"
#include "app/products.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/faults.h"
#include "core/json_depth.h"
#include "core/log.h"
#include "d1/engine.h"
#include "kv/engine.h"
#include "products/signer.h"
#include "r2/engine.h"
#include "store/blob_store.h"
#include "store/lmdb.h"
#include "store/paths.h"

namespace era {
const char* version() { return ERA_VERSION; }

size_t default_threads() {
  return std::clamp<size_t>(2 * std::max(1u, std::thread::hardware_concurrency()), 4, 16);
}

struct Emulator::Impl {
  Options opts;
  products::Catalog catalog;  // era-emu.json, validated before anything else starts
  std::unique_ptr<products::Declarations> declarations;  // published: the file's + run-time ones
  std::unique_ptr<app::RuntimeDeclarations> runtime;
  std::string data_path;
  std::optional<app::DataDir> dir;
  std::unique_ptr<store::Paths> paths;
  core::Clock clock;
  std::unique_ptr<store::Lmdb> lmdb;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<kv::Engine> kv;
  std::unique_ptr<r2::Engine> r2;
  std::unique_ptr<d1::Engine> d1;
  std::unique_ptr<products::Signer> signer;
  std::unique_ptr<admin::Registry> registry;
  core::FaultSet faults;
  core::EventLog events;
  std::unique_ptr<admin::Admin> admin;
  std::unique_ptr<api::Guard> guard;
  std::unique_ptr<api::Server> server;
  int port = 0;
  std::thread serve_thread;
  std::atomic<bool> serve_returned{false};
  std::thread sweep_thread;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool stopped = false;

  void sweep_loop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::milliseconds(opts.sweep_interval_ms));
      if (stopping) break;
      lock.unlock();
      int64_t now = clock.now_ms();
      // At most kSweepKeysPerTick KV keys: a store of millions is swept in turns, not all at once.
      if (auto n = kv->sweep_expired(now, kSweepKeysPerTick); !n) log::warn("KV sweep: ", n.error().message);
      if (auto n = r2->sweep(now); !n) log::warn("R2 sweep: ", n.error().message);
      if (auto n = signer->sweep(now); !n) log::warn("one-time URL sweep: ", n.error().message);
      lock.lock();
    }
  }
};

Emulator::Emulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<Emulator>, StartError> Emulator::start(const Options& o) {
  auto fail_start = [](const std::string& what) { return std::unexpected(StartError{what}); };
  auto impl = std::make_unique<Impl>();
  impl->opts = o;
  log::Level lvl;
  if (log::parse_level(o.log_level, lvl)) log::set_level(lvl);

  // Declared products: a bad era-emu.json stops start-up before the data dir is touched.
  auto catalog = app::load_products(o.config_file, o.strict, o.wrangler_env);
  if (!catalog) return fail_start(catalog.error().message);
  impl->catalog = std::move(*catalog);

  // Data directory: create, prove writable, lock.
  auto dir = o.memory ? app::DataDir::temporary() : app::DataDir::open(o.data_dir);
  if (!dir) return fail_start(dir.error().message);
  impl->dir.emplace(std::move(*dir));
  impl->data_path = impl->dir->path();
  impl->paths = std::make_unique<store::Paths>(impl->dir->path());
  // Secret references need the data dir (generated secrets live there); declarations made at
  // run time in an earlier life of this data dir join the file's.
  if (auto st = app::resolve_secret_refs(impl->catalog, *impl->paths); !st) return fail_start(st.error().message);
  if (auto st = app::merge_persisted_declarations(impl->catalog, *impl->paths); !st)
    return fail_start(st.error().message);

  // Clock.
  if (o.clock_start_ms) {
    if (!core::Clock::in_range(*o.clock_start_ms))
      return fail_start("the clock start must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z");
    impl->clock.set_ms(*o.clock_start_ms);
  }
  if (o.clock_mode == "frozen") impl->clock.freeze();

  // Stores and engines.
  auto lmdb = store::Lmdb::open(impl->paths->lmdb_dir(), {.durable = o.durable, .writemap = o.memory});
  if (!lmdb) return fail_start(lmdb.error().message);
  impl->lmdb = std::move(*lmdb);
  // A snapshot restore that a crash interrupted is finished (or its staging dropped) before
  // anything reads the data: restores are all-or-nothing across KV, R2 and D1.
  auto finished = admin::finish_interrupted_restore(*impl->lmdb, *impl->paths);
  if (!finished) return fail_start("cannot finish an interrupted snapshot restore: " + finished.error().message);
  if (*finished) log::warn("finished a snapshot restore that was interrupted (the process died during it)");
  impl->blobs = std::make_unique<store::BlobStore>(*impl->paths, o.durable);
  if (auto st = impl->blobs->init(); !st) return fail_start(st.error().message);
  kv::Options kv_options;
  kv_options.propagation_delay_ms = o.kv_propagation_delay_ms;
  kv_options.rate_limit_writes = o.kv_rate_limit;
  if (o.kv_propagation_delay_ms < 0) return fail_start("the KV propagation delay cannot be negative");
  impl->kv = std::make_unique<kv::Engine>(*impl->lmdb, kv_options);
  impl->r2 = std::make_unique<r2::Engine>(*impl->lmdb, *impl->blobs);
  if (o.d1_query_timeout_ms < 1) return fail_start("the D1 query timeout must be at least 1 ms");
  if (o.admin_wait_ms < 0) return fail_start("the admin wait cannot be negative");
  impl->d1 = std::make_unique<d1::Engine>(*impl->paths, impl->clock, d1::Options{.query_timeout_ms = o.d1_query_timeout_ms, .durable = o.durable});
  auto signer = products::Signer::open(*impl->lmdb);
  if (!signer) return fail_start(signer.error().message);
  impl->signer = std::move(*signer);
  impl->registry = std::make_unique<admin::Registry>(*impl->lmdb, *impl->kv, *impl->r2, *impl->d1);
  if (auto n = impl->r2->sweep_orphans(); !n) return fail_start(n.error().message);
  else if (*n) log::info("removed ", *n, " orphaned blob(s) left by an earlier crash");

  // HTTP.
  // Control plane: whole-emulator operations, then the guard that applies faults and logs.
  impl->admin = std::make_unique<admin::Admin>(admin::Deps{*impl->paths, *impl->lmdb, *impl->blobs,
                                                           *impl->kv, *impl->r2, *impl->d1,
                                                           impl->clock, impl->faults, impl->events},
                                               std::chrono::milliseconds(o.admin_wait_ms));
  impl->guard = std::make_unique<api::Guard>(impl->clock);
  impl->guard->attach(&impl->faults, &impl->events, &impl->admin->lock());
  impl->declarations = std::make_unique<products::Declarations>(impl->catalog);
  impl->guard->set_catalog(impl->declarations.get());
  // Declared rules into the engines, then D1 migrations (before seeds, which may need the
  // tables). A reset that drops D1 databases migrates them again: back to the start state.
  if (auto st = app::apply_products(impl->catalog, *impl->kv, *impl->r2); !st)
    return fail_start(st.error().message);
  // Lifecycle rules set through S3 (kept in the bucket records) override the declared ones.
  if (auto st = impl->r2->load_bucket_lifecycles(); !st) return fail_start(st.error().message);
  // Encryption at rest: secrets, key checks and ciphers before anything writes (seeds, serving).
  if (auto st = app::apply_encryption(impl->catalog, *impl->lmdb, *impl->kv, *impl->r2); !st)
    return fail_start(st.error().message);
  if (auto m = admin::apply_all_migrations(*impl->d1, impl->catalog, impl->clock.now_ms()); !m)
    return fail_start(m.error().message);
  else
    for (const auto& r : *m)
      if (!r.applied.empty()) log::info("D1 \"", r.database, "\": applied ", r.applied.size(), " migration(s)");
  impl->admin->add_reset_hook([p = impl.get()](std::string_view svc, std::string_view ns) -> Status {
    auto catalog = p->declarations->get();
    if ((!svc.empty() && svc != "d1") || (!ns.empty() && !catalog->database(ns))) return {};
    auto m = admin::apply_all_migrations(*p->d1, *catalog, p->clock.now_ms(), ns);
    if (!m) return fail(m.error());
    return {};
  });
  impl->admin->add_reset_hook([reg = impl->registry.get()](std::string_view svc, std::string_view ns) -> Status {
    if (!svc.empty() || !ns.empty()) return {};
    auto n = reg->clear_custom();  // registered custom resources go with a full reset
    if (!n) return fail(n.error());
    return {};
  });
  for (const auto& file : o.seed_files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail_start("--seed " + file + ": cannot open the file");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto deep = core::check_json_depth(text, "the document"); !deep)
      return fail_start("--seed " + file + ": " + deep.error().message);
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return fail_start("--seed " + file + ": not valid JSON");
    auto seeded = impl->admin->seed(doc, std::filesystem::absolute(file).parent_path());
    if (!seeded) return fail_start("--seed " + file + ": " + seeded.error().message);
    log::info("seeded ", file, ": ", seeded->value("seeded", nlohmann::json::object()).dump());
  }
  api::Services services;
  services.clock = &impl->clock;
  services.kv = impl->kv.get();
  services.r2 = impl->r2.get();
  services.d1 = impl->d1.get();
  services.registry = impl->registry.get();
  services.guard = impl->guard.get();
  services.admin = impl->admin.get();
  services.faults = &impl->faults;
  services.events = &impl->events;
  services.catalog = impl->declarations.get();
  impl->runtime = std::make_unique<app::RuntimeDeclarations>(app::RuntimeDeclarations::Deps{
      *impl->paths, *impl->lmdb, *impl->kv, *impl->r2, *impl->d1, impl->clock, *impl->declarations});
  services.declare = [rt = impl->runtime.get()](const nlohmann::json& doc) { return rt->declare(doc); };
  services.signer = impl->signer.get();
  services.settings.version = ERA_VERSION;
  services.settings.token = o.token;
  services.settings.control_enabled = o.control;
  services.settings.boundary.allowed_hosts = o.allow_hosts;
  services.settings.boundary.cors_origins = o.cors_origins;
  services.settings.s3_access_key = o.s3_access_key;
  services.settings.s3_secret_key = o.s3_secret_key;
  api::HttpLimits limits;
  limits.threads = o.threads ? o.threads : default_threads();
  limits.header_timeout_ms = o.header_timeout_ms;
  limits.body_timeout_ms = o.body_timeout_ms;
  limits.idle_timeout_ms = o.idle_timeout_ms;
  impl->server = std::make_unique<api::Server>(std::move(services), limits);
  auto port = impl->server->bind(o.host, o.port);
  if (!port) return fail_start(port.error().message);
  impl->port = *port;

  Impl* p = impl.get();
  impl->serve_thread = std::thread([p] {
    p->server->serve();
    p->serve_returned = true;
  });
  if (o.sweep_interval_ms > 0) impl->sweep_thread = std::thread([p] { p->sweep_loop(); });
  return std::unique_ptr<Emulator>(new Emulator(std::move(impl)));
}

std::expected<int64_t, std::string> Emulator::export_data_dir(const std::string& dir) {
  if (!impl_->admin) return std::unexpected("the emulator is stopped");
  auto r = impl_->admin->export_data_dir(dir);
  if (!r) return std::unexpected(r.error().message);
  return *r;
}

void Emulator::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  // Running D1 statements end now (D1_INTERRUPTED) instead of holding shutdown for up to the
  // query timeout.
  impl_->d1->interrupt("the emulator shutting down");
  // Stops accepting and closes connections; handlers in flight finish before serve() returns.
  impl_->events.close();  // long-polls answer now instead of holding stop() up
  impl_->server->stop();
  if (impl_->serve_thread.joinable()) impl_->serve_thread.join();
  if (impl_->sweep_thread.joinable()) impl_->sweep_thread.join();
  impl_->server.reset();
  impl_->guard.reset();
  impl_->admin.reset();
  impl_->registry.reset();
  impl_->d1.reset();
  impl_->signer.reset();
  impl_->r2.reset();
  impl_->kv.reset();
  impl_->blobs.reset();
  impl_->lmdb.reset();
  impl_->dir.reset();
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopped = true;
  }
  impl_->cv.notify_all();
}

void Emulator::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return impl_->stopped; });
}

int Emulator::port() const { return impl_->port; }
std::string Emulator::url() const {
  return "http://" + impl_->opts.host + ":" + std::to_string(impl_->port);
}
const std::string& Emulator::data_dir() const { return impl_->data_path; }

Emulator::~Emulator() {
  if (impl_) stop();
}

}  // namespace era
