// `era-emu up`: start the emulator and serve until SIGINT/SIGTERM.
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/cli.h"
#include "cli/resident.h"
#include "core/log.h"
#include "core/time_util.h"
#include "era/emulator.h"

namespace era::cli {
namespace {

struct UpArgs {
  Options opts;
  std::string clock_start;
  std::string durability = "process";
  std::string kv_propagation = "60s";
  std::string header_timeout = "10s";
  std::string body_timeout = "30s";
  std::string idle_timeout = "60s";
  std::string d1_query_timeout = "30s";
  bool exit_with_parent = false;
  std::string snapshot_on_exit;  // exec: export the state here when the command ends
};

// --exit-with-parent: when the process that started era-emu is gone (even by SIGKILL), stop as
// if SIGTERM had come, so a killed test runner leaves no emulator and no --memory dir behind.
// Watches for the reparenting (getppid() changes) rather than PR_SET_PDEATHSIG, which fires
// when the *thread* that forked exits, not the process.
void watch_parent(pid_t parent) {
  std::thread([parent] {
    while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    log::info("the parent process (pid ", parent, ") is gone: stopping (--exit-with-parent)");
    ::kill(::getpid(), SIGTERM);
  }).detach();
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.starts_with("127.");
}

// glibc raises its mmap threshold (up to 32 MiB) each time a large block is freed, after which
// big request and response buffers come from the per-thread arenas and stay resident there:
// 13 concurrent GETs of one 20 MiB KV value left 356 MB resident. A fixed threshold keeps every
// block of 256 KiB or more in its own mapping, returned to the OS when freed.
void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_ARENA_MAX, 4);
}

// The flags' text into Options; 0 when they are fine, else the exit code (2, a usage error).
int resolve_options(UpArgs& a) {
  Options& o = a.opts;
  if (const char* t = std::getenv("ERA_EMU_TOKEN"); t && o.token.empty()) o.token = t;
  if (!a.clock_start.empty()) {
    auto ms = core::parse_iso8601(a.clock_start);
    if (!ms) {
      std::cerr << "era-emu: --clock-start \"" << a.clock_start
                << "\" is not an ISO-8601 instant (e.g. 2030-01-01T00:00:00Z)\n";
      return 2;
    }
    o.clock_start_ms = *ms;
  }
  o.durable = a.durability == "full";
  auto delay = core::parse_duration_ms(a.kv_propagation);
  if (!delay || *delay < 0) {
    std::cerr << "era-emu: --kv-propagation \"" << a.kv_propagation
              << "\" is not a duration (e.g. 60s, 1500ms, 2m, or 0 for strong consistency)\n";
    return 2;
  }
  o.kv_propagation_delay_ms = *delay;
  struct D { const char* flag; const std::string& text; int64_t& out; };
  for (D d : {D{"--header-timeout", a.header_timeout, o.header_timeout_ms},
              D{"--body-timeout", a.body_timeout, o.body_timeout_ms},
              D{"--idle-timeout", a.idle_timeout, o.idle_timeout_ms},
              D{"--d1-query-timeout", a.d1_query_timeout, o.d1_query_timeout_ms}}) {
    auto v = core::parse_duration_ms(d.text);
    if (!v || *v <= 0) {
      std::cerr << "era-emu: " << d.flag << " \"" << d.text << "\" is not a positive duration (e.g. 10s, 500ms, 2m)\n";
      return 2;
    }
    d.out = *v;
  }
  if (!is_loopback(o.host))
    log::warn("binding ", o.host, ": anyone who can reach this address can read, change and ",
              o.control ? "reset all stored data and inject faults" : "delete all stored data",
              o.token.empty() ? " (no --token set)" : "");
  return 0;
}

// Blocks `signals` in every thread from here on (the caller sigwait()s for them; the mask in
// force before goes to *before) and starts the emulator. Null, with the reason printed, when it
// cannot start.
std::unique_ptr<Emulator> start_with_signals_blocked(const Options& o, const sigset_t& signals,
                                                     sigset_t* before = nullptr) {
  pthread_sigmask(SIG_BLOCK, &signals, before);
  signal(SIGPIPE, SIG_IGN);
  auto emu = Emulator::start(o);
  if (!emu) {
    std::cerr << "era-emu: " << emu.error().message << "\n";
    return nullptr;
  }
  return std::move(*emu);
}

// Once serving, the code that only started the process need not stay mapped (cli/resident.h):
// an idle era-emu then shows what it uses, not what it once ran.
void release_startup_pages() {
  size_t n = release_clean_file_pages();
  malloc_trim(0);  // and the heap's free pages (start-up's temporary buffers)
  log::debug("unmapped ", n / 1024, " KiB of start-up code pages (they stay in the page cache)");
}

int run_up(UpArgs& a) {
  tune_allocator();
  const Options& o = a.opts;
  const pid_t parent = ::getppid();  // before anything: the parent may die while we start
  if (int bad = resolve_options(a)) return bad;

  // The stop signals, for the main thread to wait for below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  auto emu = start_with_signals_blocked(o, set);
  if (!emu) return 1;
  log::info("serving ", emu->url(), " with data in ", emu->data_dir(),
            o.memory ? " (memory: removed at exit)" : "");
  if (o.control) log::info("inspector: ", emu->url(), "/_emu/ui/");
  std::printf("ERA_STORAGE_URL=%s\n", emu->url().c_str());
  std::fflush(stdout);
  release_startup_pages();
  if (a.exit_with_parent) watch_parent(parent);

  int sig = 0;
  sigwait(&set, &sig);
  log::info("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", finishing in-flight requests");
  emu->stop();
  log::info("stopped cleanly");
  return 0;
}

// ------------------------------------------------------------------------------------- exec

// Where the bundled SDKs are, beside this executable: a build tree (build/era-emu →
// sdk/python, sdk/js) or an install (bin/era-emu → share/era-emu/sdk/...). Empty if neither.
std::string sdk_dir(const char* lang) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto base : {exe.parent_path().parent_path() / "sdk", exe.parent_path().parent_path() / "share" / "era-emu" / "sdk"}) {
    auto dir = base / lang;
    if (std::filesystem::exists(dir / (std::string(lang) == "python" ? "era_storage.py" : "era_storage.js"), ec))
      return dir.string();
  }
  return {};
}

// Sets NAME=value in an environment list (NAME=... entries), replacing an existing entry.
void set_env(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.starts_with(prefix); });
  if (it != env.end()) *it = prefix + value;
  else env.push_back(prefix + value);
}

// `dir` in front of the path list NAME already holds.
std::string prepended(const char* name, const std::string& dir) {
  const char* old = std::getenv(name);
  return old && *old ? dir + ":" + old : dir;
}

// era-emu exec [server flags] -- CMD ARGS...: the emulator for exactly one command's lifetime.
int run_exec(UpArgs& a, const std::vector<std::string>& command) {
  if (command.empty()) {
    std::cerr << "era-emu exec: no command to run (usage: era-emu exec [flags] -- CMD ARGS...)\n";
    return 2;
  }
  tune_allocator();
  if (int bad = resolve_options(a)) return bad;
  const Options& o = a.opts;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  sigset_t before;
  auto emu = start_with_signals_blocked(o, set, &before);
  if (!emu) return 1;
  const std::string url = emu->url();
  log::info("serving ", url, " for: ", command[0]);
  release_startup_pages();

  // The child's environment, built before fork (nothing but exec runs in the child).
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
  set_env(env_text, "ERA_STORAGE_URL", url);
  set_env(env_text, "ERA_EMU_URL", url);  // the pytest plugin and jest preset attach to it
  // S3 clients (boto3 >= 1.28, AWS SDK v3, the aws CLI) read these: unmodified S3 code talks to
  // the emulator's /s3 endpoint with its key pair.
  set_env(env_text, "AWS_ENDPOINT_URL_S3", url + "/s3");
  set_env(env_text, "AWS_ACCESS_KEY_ID", a.opts.s3_access_key);
  set_env(env_text, "AWS_SECRET_ACCESS_KEY", a.opts.s3_secret_key);
  set_env(env_text, "AWS_REGION", "auto");
  set_env(env_text, "AWS_DEFAULT_REGION", "auto");
  if (auto py = sdk_dir("python"); !py.empty()) set_env(env_text, "PYTHONPATH", prepended("PYTHONPATH", py));
  if (auto js = sdk_dir("js"); !js.empty()) set_env(env_text, "NODE_PATH", prepended("NODE_PATH", js));
  std::vector<char*> envp, argv;
  for (auto& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = command;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t child = ::fork();
  if (child == 0) {
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    signal(SIGPIPE, SIG_DFL);
    ::execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    const char* what = err == ENOENT ? "command not found" : std::strerror(err);
    std::string msg = "era-emu exec: cannot run " + command[0] + ": " + what + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(err == ENOENT ? 127 : 126);
  }
  if (child < 0) {
    std::cerr << "era-emu exec: fork failed: " << std::strerror(errno) << "\n";
    emu->stop();
    return 1;
  }
  // SIGINT/SIGTERM go to the command; when it ends, so does the emulator.
  int status = 0;
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGINT || sig == SIGTERM) {
      ::kill(child, sig);
      continue;
    }
    pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
  if (!a.snapshot_on_exit.empty()) {
    auto bytes = emu->export_data_dir(a.snapshot_on_exit);
    if (bytes) {
      std::cerr << "era-emu exec: state saved to " << a.snapshot_on_exit << " (" << *bytes
                << " bytes; open it with era-emu up --data " << a.snapshot_on_exit << ")\n";
    } else {
      std::cerr << "era-emu exec: --snapshot-on-exit failed: " << bytes.error() << "\n";
      if (code == 0) code = 1;  // the run asked for the state and did not get it
    }
  }
  emu->stop();
  return code;
}

// The server's flags, shared by `up` and `exec`.
void add_server_options(CLI::App* up, const std::shared_ptr<UpArgs>& args) {
  Options& o = args->opts;
  up->add_option("--host", o.host, "Address to bind. Non-loopback addresses expose all data (a warning is printed)")
      ->capture_default_str();
  up->add_option("--port", o.port, "Port to listen on; 0 picks a free port (printed in the ready line)")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  up->add_option("--data", o.data_dir, "Data directory (created if missing; locked against a second instance)")
      ->capture_default_str();
  up->add_flag("--memory", o.memory, "Use a private temporary data directory (in /dev/shm when available), removed at exit");
  up->add_option("--log-level", o.log_level, "debug | info | warn | error | off")
      ->capture_default_str()->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  up->add_option("--durability", args->durability,
                 "process: survive kill -9 of era-emu (default); full: also fsync every commit for power loss")
      ->capture_default_str()->check(CLI::IsMember({"process", "full"}));
  up->add_option("--token", o.token, "Require 'Authorization: Bearer TOKEN' on every route but /_emu/health and the /public/ and /signed/ links (or ERA_EMU_TOKEN)");
  up->add_flag("!--no-control", o.control,
               "Disable the /_emu control API and the web inspector at /_emu/ui/ (health stays)");
  o.threads = era::default_threads();
  up->add_option("--threads", o.threads,
                 "Handler threads for requests that may block (D1, R2, writes): how many run at once "
                 "(started as needed; default twice the CPU cores, from 4 to 16 — more only add context "
                 "switches). "
                 "KV reads, health and idle or slow connections hold none (a latency fault waits on "
                 "a timer), so thousands of keep-alive clients need no more")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  up->add_option("--header-timeout", args->header_timeout,
                 "A request's line and headers must arrive within this, or the connection is closed")
      ->capture_default_str();
  up->add_option("--body-timeout", args->body_timeout,
                 "A request body must arrive within this plus 1 s per 64 KiB received (a minimum rate "
                 "of 64 KiB/s after the first period); a response that stops draining is dropped after it")
      ->capture_default_str();
  up->add_option("--idle-timeout", args->idle_timeout, "An idle keep-alive connection is closed after this")
      ->capture_default_str();
  up->add_option("--allow-host", o.allow_hosts,
                 "Also answer requests whose Host is this name (repeatable; \"*\" = any). By default only "
                 "localhost and IP addresses are served, so a web page cannot reach era-emu by DNS rebinding")
      ->allow_extra_args(false);  // one value per flag: repeat it for more (and `--` still ends flags)
  up->add_option("--cors-origin", o.cors_origins,
                 "Let browser code from this origin call the API, with CORS (repeatable, e.g. "
                 "http://localhost:3000; \"*\" = any). Without it, cross-origin browser requests get 403; "
                 "/public/ and /signed/ links follow each bucket's \"cors\" rules instead")
      ->allow_extra_args(false);
  up->add_option("--s3-access-key", o.s3_access_key,
                 "Access key id S3 clients sign with at $ERA_STORAGE_URL/s3 (SigV4; region auto). "
                 "`exec` hands it to the command as AWS_ACCESS_KEY_ID")
      ->capture_default_str();
  up->add_option("--s3-secret-key", o.s3_secret_key,
                 "Secret key of that pair (`exec`: AWS_SECRET_ACCESS_KEY). The defaults are public: with "
                 "--token or a non-loopback --host, set your own")
      ->capture_default_str();
  up->add_option("--clock", o.clock_mode, "Virtual clock at start: real | frozen")
      ->capture_default_str()->check(CLI::IsMember({"real", "frozen"}));
  up->add_option("--clock-start", args->clock_start, "Start the virtual clock at this ISO-8601 instant");
  up->add_option("--seed", o.seed_files,
                 "Load this fixture document at start (repeatable; schema in docs/control-api.md)")
      ->check(CLI::ExistingFile)
      ->allow_extra_args(false);
  up->add_option("--config", o.config_file,
                 "Declared products: era-emu.json (buckets, kv, d1, secrets) or a wrangler.toml / "
                 "wrangler.jsonc, whose kv_namespaces, r2_buckets and d1_databases become declared stores "
                 "(D1 migrations applied as `wrangler d1 migrations apply --local`). Default: ./era-emu.json, "
                 "else ./wrangler.jsonc, ./wrangler.json, ./wrangler.toml. A bad file stops start-up "
                 "(docs/products.md, docs/workers.md)");
  up->add_option("--wrangler-env", o.wrangler_env,
                 "Use the wrangler file's [env.NAME] bindings, as `wrangler --env NAME`");
  up->add_flag("--strict", o.strict, "Undeclared KV namespaces, R2 buckets and D1 databases are 404 NOT_DECLARED");
  up->add_option("--kv-propagation", args->kv_propagation,
                 "How long a KV write takes to reach other locations (X-Era-Location), in clock time; "
                 "0 = strongly consistent. Per store: propagationDelayMs in era-emu.json")
      ->capture_default_str();
  up->add_flag("--kv-rate-limit", o.kv_rate_limit,
               "Refuse a second write to the same KV key within 1 s of clock time (429, as production)");
  up->add_option("--d1-query-timeout", args->d1_query_timeout,
                 "A D1 query, exec or batch still running after this is stopped: D1_QUERY_TIMEOUT, nothing "
                 "it wrote is kept (production: 30 s)")
      ->capture_default_str();
  up->add_option("--sweep-interval-ms", o.sweep_interval_ms,
                 "How often expired data is reclaimed in the background (real ms; 0 = never). Each tick looks "
                 "at up to " + std::to_string(kSweepKeysPerTick) +
                     " KV keys and goes on from there the next: reads never wait for it")
      ->capture_default_str();
}

}  // namespace

void setup_up(CLI::App& app) {
  auto args = std::make_shared<UpArgs>();
  auto* up = app.add_subcommand("up", "Start the emulator and serve the ERA storage API until SIGINT/SIGTERM.\n"
                                      "Prints ERA_STORAGE_URL=http://HOST:PORT on stdout when ready; logs go to stderr.\n"
                                      "Open http://HOST:PORT/_emu/ui/ in a browser for the web inspector (docs/inspector.md).");
  add_server_options(up, args);
  up->add_flag("--exit-with-parent", args->exit_with_parent,
               "Stop (as on SIGTERM, removing a --memory dir) when the process that started era-emu "
               "exits, even if it was killed: what test fixtures use, so no emulator outlives its runner");
  up->callback([args] { std::exit(run_up(*args)); });
}

void setup_exec(CLI::App& app) {
  auto args = std::make_shared<UpArgs>();
  auto command = std::make_shared<std::vector<std::string>>();
  auto* ex = app.add_subcommand(
      "exec",
      "Run one command with an emulator beside it: start era-emu (a fresh --memory data dir and a\n"
      "free port unless --data / --port say otherwise), export ERA_STORAGE_URL and ERA_EMU_URL, put\n"
      "the bundled SDKs on PYTHONPATH and NODE_PATH (import era_storage / require('era_storage')),\n"
      "run the command, stop the emulator, and exit with the command's status.");
  add_server_options(ex, args);
  ex->add_option("--snapshot-on-exit", args->snapshot_on_exit,
                 "When the command ends (whatever its status), save KV, R2 and D1 to DIR as a data "
                 "directory: `era-emu up --data DIR` opens it (a CI artifact to look at after a failure). "
                 "DIR must be new, empty, or an earlier export (replaced)");
  ex->add_option("command", *command, "The command and its arguments, after --")->expected(-1);
  ex->callback([args, command, ex] {
    if (ex->count("--data") == 0) args->opts.memory = true;
    if (ex->count("--port") == 0) args->opts.port = 0;
    if (ex->count("--log-level") == 0) args->opts.log_level = "warn";  // the command's output stays readable
    std::exit(run_exec(*args, *command));
  });
}

}  // namespace era::cli
