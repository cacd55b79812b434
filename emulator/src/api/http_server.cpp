#include "api/http_server.h"

#include <cctype>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.h"

namespace era::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

constexpr size_t kIdleRead = 1024;            // first read of a new request: small for idle connections
constexpr size_t kHeadRead = 16 * 1024;       // further reads of a head
constexpr size_t kBodyChunk = 256 * 1024;     // body bytes per read
constexpr size_t kPrefetch = 64 * 1024;       // a streamed body's bytes read before a thread is taken
constexpr uint64_t kDrainMax = 1 << 20;       // unread body a kept-alive connection still skips
constexpr auto kLinger = std::chrono::seconds(2);  // after refusing unread bytes: let the client read
constexpr auto kTick = ms(200);               // blocking I/O and holds check stop() this often
constexpr size_t kKeptBodyMin = 256 * 1024;       // bodies this big are kept for reuse…
constexpr size_t kKeptBodyMax = 16 * 1024 * 1024;  // …up to this size each
constexpr size_t kKeptBodiesBytes = 64 * 1024 * 1024;  // and this much in all
constexpr auto kKeptBodiesIdle = std::chrono::seconds(5);  // freed when none was used for this long
constexpr auto kSweep = ms(100);              // deadlines of waiting connections are checked this often
constexpr uint64_t kBytesPerGraceSecond = 64 * 1024;  // body deadline: +1 s per 64 KiB received

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_control_bytes(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// A blocking view of a non-blocking socket, for the handler thread: each read or write waits in
// poll() in kTick steps up to a deadline, and gives up when the server stops. Meets Beast's
// SyncReadStream / SyncWriteStream, so Beast's own read/write algorithms run over it.
class TimedSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  TimedSocket(tcp::socket& s, const std::atomic<bool>& stopping) : s_(s), stopping_(stopping) {}
  executor_type get_executor() { return s_.get_executor(); }
  void deadline(SteadyClock::time_point d) { deadline_ = d; }
  void deadline_in(ms d) { deadline_ = SteadyClock::now() + d; }

  // SyncReadStream / SyncWriteStream: both overloads of each, over one retry loop.
  template <class Buffers>
  size_t read_some(const Buffers& b, beast::error_code& ec) {
    return retry(POLLIN, ec, [&] { return s_.read_some(b, ec); });
  }
  template <class Buffers>
  size_t read_some(const Buffers& b) {
    return or_throw([&](beast::error_code& ec) { return read_some(b, ec); });
  }
  template <class Buffers>
  size_t write_some(const Buffers& b, beast::error_code& ec) {
    return retry(POLLOUT, ec, [&] { return s_.write_some(b, ec); });
  }
  template <class Buffers>
  size_t write_some(const Buffers& b) {
    return or_throw([&](beast::error_code& ec) { return write_some(b, ec); });
  }

 private:
  // Runs a non-blocking socket op until it does not say "would block", waiting for `events`.
  template <class Op>
  size_t retry(short events, beast::error_code& ec, Op op) {
    for (;;) {
      size_t n = op();
      if (ec != net::error::would_block && ec != net::error::try_again) return n;
      if (!wait(events, ec)) return 0;
    }
  }
  template <class Op>
  static size_t or_throw(Op op) {
    beast::error_code ec;
    size_t n = op(ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

  bool wait(short events, beast::error_code& ec) {
    for (;;) {
      if (stopping_) {
        ec = net::error::operation_aborted;
        return false;
      }
      auto now = SteadyClock::now();
      if (now >= deadline_) {
        ec = beast::error::timeout;
        return false;
      }
      auto left = std::chrono::duration_cast<ms>(deadline_ - now);
      pollfd p{s_.native_handle(), events, 0};
      int r = ::poll(&p, 1, int(std::min(left, kTick).count()) + 1);
      if (r > 0) {
        ec = {};
        return true;
      }
      if (r < 0 && errno != EINTR) {
        ec = beast::error_code(errno, boost::system::system_category());
        return false;
      }
    }
  }
  tcp::socket& s_;
  const std::atomic<bool>& stopping_;
  SteadyClock::time_point deadline_ = SteadyClock::now();
};

class Connection;

// Buffers of finished big request bodies, for the next ones. A body past glibc's mmap threshold
// otherwise gets a fresh mapping every time: one page fault and one zeroed page per 4 KiB, ~1 ms
// per MiB — a fifth of the CPU of a 1 MiB ERA JSON R2 PUT. Only what was in use at once is kept,
// bounded, and all of it is freed once no big body came for kKeptBodiesIdle.
class BodyBuffers {
 public:
  // An empty string with room for `n` bytes when a kept buffer has it, else an empty string.
  std::string take(size_t n) {
    std::lock_guard lock(mu_);
    last_used_ = SteadyClock::now();
    for (size_t i = 0; i < kept_.size(); ++i) {
      if (kept_[i].capacity() < n) continue;
      std::string s = std::move(kept_[i]);
      kept_[i] = std::move(kept_.back());
      kept_.pop_back();
      bytes_ -= s.capacity();
      return s;
    }
    return {};
  }
  // Keeps `s`'s buffer if it is a big one and there is room; `s` is left empty either way.
  void give(std::string& s) {
    std::string b = std::move(s);
    s.clear();
    if (b.capacity() < kKeptBodyMin || b.capacity() > kKeptBodyMax) return;
    std::lock_guard lock(mu_);
    if (bytes_ + b.capacity() > kKeptBodiesBytes) return;
    b.clear();
    bytes_ += b.capacity();
    kept_.push_back(std::move(b));
  }
  // Frees every kept buffer when none was taken for kKeptBodiesIdle.
  void expire(SteadyClock::time_point now) {
    std::vector<std::string> old;
    {
      std::lock_guard lock(mu_);
      if (kept_.empty() || now - last_used_ < kKeptBodiesIdle) return;
      old.swap(kept_);
      bytes_ = 0;
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::string> kept_;
  size_t bytes_ = 0;
  SteadyClock::time_point last_used_{};
};

}  // namespace

struct HttpServer::Impl {
  Impl(HttpApp& a, HttpLimits l) : app(a), lim(l) {}
  HttpApp& app;
  HttpLimits lim;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> open{0};
  // Declared before the io_context: connections still queued in it unregister on destruction.
  std::mutex mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns;
  std::condition_variable cv;
  net::io_context ioc;   // the event loop: sockets, timers, quick handlers
  net::io_context pool;  // handlers that may block
  // Handler threads start on demand, up to lim.threads: one more each time a handler is handed
  // over while every started one is busy. An idle server has none (each costs ~24 KiB resident).
  std::mutex pool_mu;
  std::vector<std::thread> pool_threads;  // guarded by pool_mu
  bool pool_closed = false;               // guarded by pool_mu: serve() is joining them
  std::atomic<size_t> pool_started{0};
  std::atomic<size_t> pool_busy{0};       // handed over, not finished
  BodyBuffers bodies;
  // The acceptor and its retry timer are not thread-safe: re-arming (on whichever io thread ran
  // the last accept) and stop()'s close take accept_mu, or a close can race an async_accept.
  std::mutex accept_mu;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  net::steady_timer sweep_timer{ioc};

  void accept();
  // Runs `job` on a handler thread, starting one if every started thread is busy.
  template <class Job>
  void to_pool(Job job);
  // Every kSweep: connections whose wait is past its deadline are shut down (the pending read or
  // write then ends with an error and the connection closes itself).
  void sweep();
  // The connections matching `pick`, alive, outside the registry lock.
  template <class Pick>
  std::vector<std::shared_ptr<Connection>> select(Pick pick);
};

namespace {

// One client connection. At most one asynchronous operation is outstanding at a time (a read, a
// write or a hold), so its handlers never run concurrently and need no strand. Deadlines are not
// per-operation timers: the connection publishes when its current wait must end, and the server's
// sweeper shuts the socket down once that has passed.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl& s, tcp::socket sock) : s_(s), sock_(std::move(sock)), hold_(sock_.get_executor()) {}

  ~Connection() {
    std::lock_guard lock(s_.mu);
    s_.conns.erase(this);
    if (--s_.open == 0) s_.cv.notify_all();
  }

  void start() {
    {
      std::lock_guard lock(s_.mu);
      s_.conns.emplace(this, weak_from_this());
      ++s_.open;
    }
    beast::error_code ec;
    fd_ = sock_.native_handle();
    sock_.set_option(tcp::no_delay(true), ec);
    sock_.non_blocking(true, ec);
    auto ep = sock_.remote_endpoint(ec);
    if (!ec) {
      remote_addr_ = ep.address().to_string();
      remote_port_ = ep.port();
    }
    read_head();
  }

  // Waiting (for the client) past the published deadline?
  bool overdue(SteadyClock::rep now) const {
    auto d = deadline_.load(std::memory_order_relaxed);
    return d != 0 && now >= d;
  }
  bool waiting() const { return deadline_.load(std::memory_order_relaxed) != 0; }

  // From the sweeper or stop(), on any thread: end the current wait. The socket is shut down at
  // the OS level (its descriptor is still ours: close_socket() takes the same lock), so the
  // pending operation completes with an error on its own thread.
  void interrupt() {
    std::lock_guard lock(close_mu_);
    if (closed_) return;
    interrupted_ = true;
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  void wait_until(SteadyClock::time_point t) { deadline_.store(t.time_since_epoch().count(), std::memory_order_relaxed); }
  void wait_for(ms d) { wait_until(SteadyClock::now() + d); }
  void not_waiting() { deadline_.store(0, std::memory_order_relaxed); }

  std::string_view input() const {
    auto b = buf_.data();
    return {static_cast<const char*>(b.data()), b.size()};
  }

  // ---- the head --------------------------------------------------------------------------

  void read_head() {
    std::string_view in = input();
    while (in.starts_with("\r\n")) {  // blank lines between requests (RFC 9112 §2.2)
      buf_.consume(2);
      in = input();
    }
    if (size_t end = in.find("\r\n\r\n"); end != std::string_view::npos) return on_head(end + 4);
    if (in.size() > s_.lim.max_head)
      return refuse(431, "request line and headers exceed " + std::to_string(s_.lim.max_head) + " bytes");
    bool idle = in.empty();
    if (idle) {
      if (s_.stopping) return close();
      buf_.shrink_to_fit();
      head_started_.reset();
      wait_for(ms(s_.lim.idle_timeout_ms));
    } else {
      if (!head_started_) head_started_ = SteadyClock::now();
      wait_until(*head_started_ + ms(s_.lim.header_timeout_ms));
    }
    sock_.async_read_some(buf_.prepare(idle ? kIdleRead : kHeadRead),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->buf_.commit(n);
                            if (ec && n == 0) return self->close();  // closed, idle/header timeout, stop
                            if (!self->head_started_) self->head_started_ = SteadyClock::now();
                            self->read_head();
                          });
  }

  void on_head(size_t head_len) {
    not_waiting();
    std::string_view head = input().substr(0, head_len);
    if (head.find("\r\n ") != std::string_view::npos || head.find("\r\n\t") != std::string_view::npos)
      return refuse(400, "obs-fold (a header line continued with leading space or tab) is not accepted");
    parser_.emplace();
    parser_->header_limit(std::uint32_t(s_.lim.max_head + 4));
    parser_->body_limit(boost::none);
    beast::error_code ec;
    parser_->put(net::buffer(head.data(), head.size()), ec);
    buf_.consume(head_len);
    if (ec || !parser_->is_header_done()) return refuse(400, framing_message(ec));
    auto& msg = parser_->get();

    // Transfer codings: chunked only, once, last (RFC 9112 §6.1).
    std::vector<std::string> codings;
    for (auto [it, end] = msg.equal_range(http::field::transfer_encoding); it != end; ++it) {
      std::string_view list = it->value();
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view t = trim(list.substr(0, comma));
        if (!t.empty()) codings.emplace_back(t);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    }
    for (const auto& c : codings)
      if (!iequals(c, "chunked"))
        return refuse(501, "Transfer-Encoding \"" + c.substr(0, 40) + "\" is not supported (only chunked is)");
    if (codings.size() > 1) return refuse(400, "Transfer-Encoding names chunked more than once");
    if (!codings.empty() && !parser_->chunked()) return refuse(400, "malformed Transfer-Encoding");

    req_ = Request();
    res_ = Response();
    req_.method = std::string(msg.method_string());
    req_.target = std::string(msg.target());
    req_.version = msg.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    for (const auto& f : msg) req_.headers.emplace(std::string(f.name_string()), std::string(f.value()));
    req_.remote_addr = remote_addr_;
    req_.remote_port = remote_port_;
    std::string_view target = req_.target;
    if (target.starts_with("http://") || target.starts_with("https://")) {  // absolute-form
      size_t slash = target.find('/', target.find("//") + 2);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    if (target.empty() || (target[0] != '/' && !(target == "*" && req_.method == "OPTIONS")))
      return refuse(400, "request target must be a path starting with '/'");
    size_t q = target.find('?');
    req_.path = percent_decode(target.substr(0, q), false);
    if (q != std::string_view::npos) parse_query(target.substr(q + 1), req_.params);
    keep_alive_ = msg.keep_alive();
    expect_continue_ = iequals(msg[http::field::expect], "100-continue");
    continue_sent_ = false;
    broken_ = false;
    body_.clear();
    received_ = 0;

    try {
      adm_ = s_.app.admit(req_, res_);
    } catch (const std::exception& e) {
      return internal_error(e.what());
    }
    if (!adm_.pending) return respond();
    if (parser_->is_done()) return hold();
    body_started_ = SteadyClock::now();
    if (adm_.body == HttpApp::Admission::Body::buffer) {
      auto cl = parser_->content_length();
      if (cl && *cl > adm_.limit)
        return refuse(413, "request body of " + std::to_string(*cl) + " bytes exceeds this route's limit of " +
                               std::to_string(adm_.limit) + " bytes");
      parser_->body_limit(adm_.limit);
      return read_body(false);
    }
    if (expect_continue_) return hold();  // the client waits for 100 Continue: nothing to prefetch
    read_body(true);
  }

  std::string framing_message(beast::error_code ec) const {
    if (ec == http::error::multiple_content_length) return "differing Content-Length headers";
    if (ec == http::error::bad_content_length) return "malformed Content-Length (or Content-Length with Transfer-Encoding)";
    if (ec == http::error::bad_transfer_encoding) return "Transfer-Encoding together with Content-Length";
    if (ec == http::error::bad_version) return "unsupported HTTP version (HTTP/1.1 or HTTP/1.0)";
    if (ec == http::error::bad_method) return "malformed request method";
    if (ec == http::error::bad_target) return "malformed request target";
    if (ec == http::error::bad_field) return "malformed header name";
    if (ec == http::error::bad_value) return "header value with NUL, CR or LF";
    if (ec == http::error::header_limit) return "request line and headers too large";
    return "malformed request: " + ec.message();
  }

  // ---- the body --------------------------------------------------------------------------

  SteadyClock::time_point body_deadline() const {
    return body_started_ + ms(s_.lim.body_timeout_ms) + std::chrono::seconds(received_ / kBytesPerGraceSecond);
  }

  // Asynchronously: the whole body (buffered routes), or its first kPrefetch bytes (streamed).
  void read_body(bool prefetch) {
    if (parser_->is_done() || (prefetch && body_.size() >= kPrefetch)) return hold();
    if (expect_continue_ && !continue_sent_) {
      continue_sent_ = true;
      auto msg = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      wait_for(ms(s_.lim.body_timeout_ms));
      return http::async_write(sock_, *msg, [self = shared_from_this(), msg, prefetch](beast::error_code ec, size_t) {
        self->not_waiting();
        if (ec || self->interrupted_) return self->close();
        self->read_body(prefetch);
      });
    }
    auto cl = parser_->content_length_remaining();
    // A prefetch asks for no more than its own size: Beast's read fills the buffer it is given
    // before it returns, so a larger one would wait for bytes the handler could already use.
    size_t want = prefetch ? kPrefetch - body_.size() : kBodyChunk;
    size_t room = cl ? size_t(std::min<uint64_t>(*cl, want)) : want;
    size_t old = body_.size();
    // A declared length (already checked against the route's limit at admission) is reserved
    // once: growing chunk by chunk copied the body again at every reallocation. The new bytes
    // are not zeroed first — the read overwrites them and the string is cut to what arrived.
    if (cl && body_.capacity() < old + *cl) {
      if (old == 0 && *cl >= kKeptBodyMin) body_ = s_.bodies.take(size_t(*cl));
      if (body_.capacity() < old + *cl) body_.reserve(old + size_t(*cl));
    }
    body_.resize_and_overwrite(old + room, [](char*, size_t n) { return n; });
    auto& b = parser_->get().body();
    b.data = body_.data() + old;
    b.size = room;
    b.more = true;
    wait_until(body_deadline());
    http::async_read(sock_, buf_, *parser_, [self = shared_from_this(), old, room, prefetch](beast::error_code ec, size_t) {
      self->not_waiting();
      size_t got = room - self->parser_->get().body().size;
      self->body_.resize(old + got);
      self->received_ += got;
      if (ec == http::error::need_buffer) ec = {};
      if (self->interrupted_) return self->close();  // timed out or stopping: never handed to a handler
      if (ec == http::error::body_limit)
        return self->refuse(413, "request body exceeds this route's limit of " + std::to_string(self->adm_.limit) + " bytes");
      if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
        return self->refuse(400, "malformed chunked body");
      if (ec == http::error::partial_message || ec == http::error::end_of_stream || ec == net::error::eof)
        return self->refuse(400, "the request body ended after " + std::to_string(self->received_) +
                                     " bytes, before its end (" +
                                     (self->parser_->chunked() ? std::string("no last chunk")
                                                               : "Content-Length " + std::to_string(*self->parser_->content_length())) +
                                     "); nothing was done");
      if (ec) return self->close();  // ended early, timed out, or stop: never handed to a handler
      self->read_body(prefetch);
    });
  }

  // The handler's blocking reader for a streamed body: the prefetched bytes, then the rest.
  bool read_streamed(const ContentReceiver& recv) {
    if (!body_.empty()) {
      std::string first = std::move(body_);
      body_.clear();
      if (!recv(first.data(), first.size())) return false;
    }
    TimedSocket ts(sock_, s_.stopping);
    beast::error_code ec;
    if (expect_continue_ && !continue_sent_ && !parser_->is_done()) {
      continue_sent_ = true;
      http::response<http::empty_body> msg(http::status::continue_, 11);
      ts.deadline_in(ms(s_.lim.body_timeout_ms));
      http::write(ts, msg, ec);
      if (ec) return broken_ = true, false;
    }
    thread_local std::unique_ptr<char[]> chunk(new char[kBodyChunk]);
    while (!parser_->is_done()) {
      auto& b = parser_->get().body();
      b.data = chunk.get();
      b.size = kBodyChunk;
      b.more = true;
      ts.deadline(body_deadline());
      http::read(ts, buf_, *parser_, ec);
      if (ec == http::error::need_buffer) ec = {};
      size_t got = kBodyChunk - parser_->get().body().size;
      received_ += got;
      if (got && !recv(chunk.get(), got)) return false;
      if (ec) return broken_ = true, false;
    }
    return true;
  }

  // ---- the handler -----------------------------------------------------------------------

  void hold() {
    int64_t wait = 0;
    try {
      wait = s_.app.hold_ms(*adm_.pending, req_, res_);
    } catch (const std::exception& e) {
      return internal_error(e.what());
    }
    if (wait <= 0 || s_.stopping) return dispatch();
    hold_until_ = SteadyClock::now() + ms(wait);
    hold_step();
  }

  // A hold waits on a timer in kTick steps, so stop() ends it without touching this connection.
  void hold_step() {
    auto now = SteadyClock::now();
    if (now >= hold_until_ || s_.stopping) return dispatch();
    hold_.expires_after(std::min<SteadyClock::duration>(hold_until_ - now, kTick));
    hold_.async_wait([self = shared_from_this()](beast::error_code) { self->hold_step(); });
  }

  // A quick handler runs here, on the event loop; any other is handed to the pool.
  void dispatch() {
    if (adm_.quick) return run();
    s_.to_pool([self = shared_from_this()] { self->run(); });
  }

  void run() {
    ContentReader reader = [this](const ContentReceiver& recv) { return read_streamed(recv); };
    bool stream = adm_.body == HttpApp::Admission::Body::stream;
    try {
      // body_ itself is handed over (no temporary), so the handler can give its buffer back.
      std::string none;
      s_.app.handle(*adm_.pending, req_, res_, stream ? std::move(none) : std::move(body_), stream ? &reader : nullptr);
      s_.bodies.give(body_);
    } catch (const std::exception& e) {
      log::error("INTERNAL error on ", req_.method, " ", req_.path, ": ", e.what());
      return internal_error(e.what());
    } catch (...) {
      log::error("INTERNAL error on ", req_.method, " ", req_.path, ": unknown exception");
      return internal_error("unknown exception");
    }
    adm_.pending.reset();
    respond();
  }

  void internal_error(const std::string& what) {
    adm_.pending.reset();
    res_ = Response();
    s_.app.refuse(res_, 500, "internal error: " + what);
    respond();
  }

  // ---- the response ----------------------------------------------------------------------

  void refuse(int status, const std::string& message) {
    adm_.pending.reset();
    res_ = Response();
    s_.app.refuse(res_, status, message);
    res_.close = true;
    unread_ = true;  // whatever follows on this connection is not read
    write_response();
  }

  void respond() {
    unread_ = parser_ && !parser_->is_done();
    write_response();
  }

  template <class Msg>
  void fill_head(Msg& m, bool close) {
    m.result(http::int_to_status(unsigned(res_.status)));
    m.version(11);
    for (const auto& [name, value] : res_.headers) {
      if (iequals(name, "Connection") || iequals(name, "Transfer-Encoding") || iequals(name, "Content-Length")) continue;
      if (has_control_bytes(name) || has_control_bytes(value)) {
        log::warn("dropped response header ", name, ": it holds CR, LF or NUL");
        continue;
      }
      m.insert(name, value);
    }
    m.keep_alive(!close);
  }

  void write_response() {
    if (res_.abort) return abort_connection();
    if (res_.status == -1) res_.status = 200;
    if (iequals(res_.get_header_value("Connection"), "close")) res_.close = true;
    bool close = !keep_alive_ || res_.close || s_.stopping || broken_ || res_.truncate_after.has_value();
    drain_ = false;
    if (unread_ && !close) {
      auto left = parser_->content_length_remaining();
      if (!parser_->chunked() && left && *left <= kDrainMax && (!expect_continue_ || continue_sent_)) drain_ = true;
      else close = true;
    }
    close_after_ = close;
    const bool must_close = close;

    const bool head = req_.method == "HEAD";
    const bool bodyless = res_.status < 200 || res_.status == 204 || res_.status == 304;
    const bool has_body = !res_.body.empty() || res_.provider;
    if (!bodyless && has_body && !res_.has_header("Content-Type")) res_.set_header("Content-Type", "text/plain");

    if (head || bodyless) {
      auto& msg = empty_out_.msg.emplace();
      fill_head(msg, close);
      if (!bodyless) {
        std::string declared = res_.get_header_value("Content-Length");
        if (!declared.empty()) msg.set(http::field::content_length, declared);
        else msg.content_length(res_.provider ? res_.content_length : res_.body.size());
      }
      return send(empty_out_);
    }
    if (res_.provider) return write_streamed(must_close);
    auto& msg = string_out_.msg.emplace();
    fill_head(msg, close);
    msg.content_length(res_.body.size());
    msg.body() = std::move(res_.body);
    if (res_.truncate_after && *res_.truncate_after < msg.body().size()) msg.body().resize(*res_.truncate_after);
    send(string_out_);
  }

  // A response being written, kept on the connection (no allocation per response).
  template <class Body>
  struct Outgoing {
    std::optional<http::response<Body>> msg;
    std::optional<http::response_serializer<Body>> sr;
    void reset() {
      sr.reset();
      msg.reset();
    }
  };

  // Writes straight into the socket as far as its buffer takes (a small response, all of it: no
  // round through the event loop); what is left is written asynchronously under a deadline.
  template <class Body>
  void send(Outgoing<Body>& out) {
    out.sr.emplace(*out.msg);
    beast::error_code ec;
    http::write(sock_, *out.sr, ec);
    if (!ec) return after_write();
    if (ec != net::error::would_block && ec != net::error::try_again) return close();
    wait_for(ms(s_.lim.body_timeout_ms));
    http::async_write(sock_, *out.sr, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->not_waiting();
      if (ec || self->interrupted_) return self->close();
      self->after_write();
    });
  }

  // A streamed body from the provider, written from this (handler) thread.
  void write_streamed(bool close_conn) {
    http::response<http::buffer_body> msg;
    fill_head(msg, close_conn);
    if (res_.chunked) msg.chunked(true);
    else msg.content_length(res_.content_length);
    http::response_serializer<http::buffer_body> sr(msg);
    TimedSocket ts(sock_, s_.stopping);
    const uint64_t limit = res_.truncate_after.value_or(UINT64_MAX);
    uint64_t offset = 0;
    bool ok = true, finished = false;
    beast::error_code ec;
    DataSink sink;
    sink.write = [&](const char* d, size_t n) {
      if (!ok) return false;
      size_t take = size_t(std::min<uint64_t>(n, limit - offset));
      msg.body().data = const_cast<char*>(d);
      msg.body().size = take;
      msg.body().more = true;
      ts.deadline_in(ms(s_.lim.body_timeout_ms));
      http::write(ts, sr, ec);
      if (ec == http::error::need_buffer) ec = {};
      offset += take;
      ok = !ec && take == n;
      return ok;
    };
    sink.done = [&] { finished = true; };
    try {
      if (res_.chunked) {
        while (ok && !finished)
          if (!res_.provider(offset, 0, sink)) ok = false;
      } else {
        while (ok && offset < res_.content_length)
          if (!res_.provider(offset, res_.content_length - offset, sink)) ok = false;
      }
    } catch (const std::exception& e) {
      log::error("response body of ", req_.method, " ", req_.path, " failed: ", e.what());
      ok = false;
    }
    if (ok) {
      msg.body().data = nullptr;
      msg.body().size = 0;
      msg.body().more = false;
      ts.deadline_in(ms(s_.lim.body_timeout_ms));
      http::write(ts, sr, ec);
      ok = !ec;
    }
    res_ = Response();
    if (!ok) return close();
    after_write();
  }

  void after_write() {
    res_ = Response();
    empty_out_.reset();
    string_out_.reset();
    if (close_after_) return unread_ ? linger_close() : close();
    if (drain_) return drain();
    next();
  }

  void next() {
    parser_.reset();
    head_started_.reset();
    body_.clear();
    body_.shrink_to_fit();
    read_head();
  }

  // A small body the handler left unread: skip it and keep the connection.
  void drain() {
    if (parser_->is_done()) return next();
    auto& b = parser_->get().body();
    thread_local char sink[16 * 1024];
    b.data = sink;
    b.size = sizeof sink;
    b.more = true;
    wait_until(body_deadline());
    http::async_read(sock_, buf_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->not_waiting();
      if (ec == http::error::need_buffer) ec = {};
      if (ec || self->interrupted_) return self->close();
      self->drain();
    });
  }

  // After a final answer that left request bytes unread: stop sending, then keep reading (and
  // discarding) for a while, so a client still writing its body reads the answer instead of a
  // connection reset.
  void linger_close() {
    beast::error_code ec;
    sock_.shutdown(tcp::socket::shutdown_send, ec);
    if (!linger_until_) linger_until_ = SteadyClock::now() + kLinger;
    if (SteadyClock::now() >= *linger_until_ || s_.stopping) return close();
    buf_.clear();
    wait_until(*linger_until_);
    sock_.async_read_some(buf_.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->not_waiting();
      if (ec || self->interrupted_) return self->close();
      self->linger_close();
    });
  }

  void abort_connection() { close_socket(true); }
  void close() { close_socket(false); }

  // The only place the socket is closed: under the lock interrupt() takes, so the descriptor it
  // shuts down is never one the OS has handed to someone else.
  void close_socket(bool reset) {
    not_waiting();
    std::lock_guard lock(close_mu_);
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    if (reset) sock_.set_option(net::socket_base::linger(true, 0), ec);
    else sock_.shutdown(tcp::socket::shutdown_send, ec);
    sock_.close(ec);
  }

  HttpServer::Impl& s_;
  tcp::socket sock_;
  int fd_ = -1;
  std::mutex close_mu_;
  bool closed_ = false;
  std::atomic<bool> interrupted_{false};
  std::atomic<SteadyClock::rep> deadline_{0};  // when the current wait ends; 0: not waiting
  net::steady_timer hold_;
  SteadyClock::time_point hold_until_;
  Outgoing<http::empty_body> empty_out_;
  Outgoing<http::string_body> string_out_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::string remote_addr_;
  int remote_port_ = -1;
  std::optional<SteadyClock::time_point> head_started_;
  std::optional<SteadyClock::time_point> linger_until_;
  SteadyClock::time_point body_started_;
  Request req_;
  Response res_;
  HttpApp::Admission adm_;
  std::string body_;
  uint64_t received_ = 0;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool broken_ = false;
  bool unread_ = false;
  bool drain_ = false;
  bool close_after_ = false;
};

}  // namespace

void HttpServer::Impl::accept() {
  std::lock_guard lock(accept_mu);
  if (stopping) return;  // set before stop() closes the acceptor under accept_mu
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket sock) {
    if (stopping) return;
    if (!ec) {
      std::make_shared<Connection>(*this, std::move(sock))->start();
      return accept();
    }
    // Out of file descriptors or a transient error: try again shortly rather than spin.
    log::warn("accept failed: ", ec.message());
    std::lock_guard lock(accept_mu);
    if (stopping) return;
    accept_retry.expires_after(ms(50));
    accept_retry.async_wait([this](beast::error_code) { accept(); });
  });
}

template <class Pick>
std::vector<std::shared_ptr<Connection>> HttpServer::Impl::select(Pick pick) {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(mu);
  for (auto& [p, w] : conns)  // an entry is erased before its connection's members go
    if (pick(*p))
      if (auto c = w.lock()) out.push_back(std::move(c));
  return out;
}

void HttpServer::Impl::sweep() {
  sweep_timer.expires_after(kSweep);
  sweep_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    const auto at = SteadyClock::now();
    auto now = at.time_since_epoch().count();
    for (auto& c : select([now](const Connection& c) { return c.overdue(now); })) c->interrupt();
    bodies.expire(at);
    sweep();
  });
}

HttpServer::HttpServer(HttpApp& app, HttpLimits limits) : impl_(std::make_unique<Impl>(app, limits)) {
  // Thousands of keep-alive clients need thousands of descriptors: raise the soft limit to the hard one.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::bind(const std::string& host, int port) {
  beast::error_code ec;
  std::string h = host == "localhost" ? "127.0.0.1" : host;
  auto addr = net::ip::make_address(h, ec);
  if (ec) return fail(Code::START_FAILED, "cannot bind \"" + host + "\": not an IP address");
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string why = ec.message();  // "Address already in use" → "address already in use"
    if (!why.empty()) why[0] = char(std::tolower(static_cast<unsigned char>(why[0])));
    return fail(Code::START_FAILED, "cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
  }
  impl_->accept();
  impl_->sweep();
  return int(a.local_endpoint().port());
}

template <class Job>
void HttpServer::Impl::to_pool(Job job) {
  const size_t busy = ++pool_busy, most = std::max<size_t>(1, lim.threads);
  if (busy > pool_started && pool_started < most) {
    std::lock_guard lock(pool_mu);
    if (!pool_closed && busy > pool_started && pool_started < most) {
      try {
        pool_threads.emplace_back([this] {
          pthread_setname_np(pthread_self(), "era-handler");  // as `top -H` and gdb show it
          pool.run();
        });
        ++pool_started;
      } catch (const std::system_error& e) {  // out of threads: the started ones take it
        log::warn("could not start another handler thread (", e.what(), "); ", pool_started.load(),
                  " serve the requests that may block");
      }
    }
  }
  if (pool_started == 0) {  // not even one thread: run it here rather than never
    job();
    --pool_busy;
    return;
  }
  net::post(pool, [this, job = std::move(job)]() mutable {
    job();
    --pool_busy;
  });
}

void HttpServer::serve() {
  Impl& s = *impl_;
  auto work = net::make_work_guard(s.ioc);
  auto pool_work = net::make_work_guard(s.pool);
  size_t io = s.lim.io_threads;
  if (io == 0) io = std::clamp<size_t>(std::max(1u, std::thread::hardware_concurrency()), 2, 8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < io; ++i)
    threads.emplace_back([&s] {
      pthread_setname_np(pthread_self(), "era-io");
      s.ioc.run();
    });
  {
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return s.stopping.load(); });
    // Connections were told to close; give in-flight requests up to a second to finish.
    s.cv.wait_for(lock, std::chrono::seconds(1), [&] { return s.open == 0; });
  }
  work.reset();
  pool_work.reset();
  s.ioc.stop();  // the sweeper and what is left are ended; handlers still running finish first
  for (auto& t : threads) t.join();
  std::vector<std::thread> handlers;
  {
    std::lock_guard lock(s.pool_mu);
    s.pool_closed = true;
    handlers.swap(s.pool_threads);
  }
  s.pool.stop();
  for (auto& t : handlers) t.join();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  {
    std::lock_guard lock(s.accept_mu);
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
  }
  // Connections waiting for their client end now; those in a handler answer, then close.
  for (auto& c : s.select([](const Connection& c) { return c.waiting(); })) c->interrupt();
  std::lock_guard lock(s.mu);
  s.cv.notify_all();
}

size_t HttpServer::open_connections() const { return impl_->open; }

}  // namespace era::api
