#pragma once
// The HTTP/1.1 server: Boost.Beast's parser and serializer on Boost.Asio, event-driven.
//
// An idle or slow connection costs a socket and a small buffer — never a thread, nor a timer: a
// connection publishes when its current wait must end and one sweeper shuts down those past it. A
// request's head is read asynchronously under a deadline; then the application admits it (route,
// Host/Origin, auth, body limit) before any body byte is read; a buffered body is read
// asynchronously too. Then, after an optional asynchronous hold (a latency fault sleeps on a
// timer, not on a thread), the handler runs: a `quick` one (it never blocks) right there on the
// event-loop thread, any other on one of the `threads` handler threads, so a slow handler holds
// up nobody else. The event loop has one thread per core (`io_threads`, at least 2): more only add
// context switches and run-queue waits (2 instead of 4 on 2 cores: p99 of KV gets while another
// process writes 1 GiB 5–8 ms instead of 8–11). A response is written straight into the socket
// from the handler's thread as far as the socket takes it; only the rest goes through the event
// loop.
// Streamed bodies (R2 uploads) and streamed responses (R2 downloads) are read and written from the
// handler thread under deadlines that the stop() flag also ends.
//
// Framing is strict (RFC 9112): differing or malformed Content-Length, Content-Length with
// Transfer-Encoding, obs-fold, NUL/CR/LF in values → 400; a transfer coding other than chunked
// → 501; a head over `max_head` → 431; a body that ends early or a chunked body without its last
// chunk is never handed to a handler as complete. Every refusal is the JSON error shape, and the
// connection is closed after it (with a lingering close when request bytes are left unread).
// Header values reach handlers byte-exact.
#include <cstdint>
#include <memory>
#include <string>

#include "api/http.h"
#include "core/result.h"

namespace era::api {

struct HttpLimits {
  size_t threads = 16;                 // handler threads (the pool for handlers that may block)
  size_t io_threads = 0;               // event-loop threads; 0: one per core, from 2 to 8
  int64_t header_timeout_ms = 10000;   // the request head must arrive within this
  int64_t body_timeout_ms = 30000;     // a body gets this, plus 1 s per 64 KiB received
  int64_t idle_timeout_ms = 60000;     // an idle keep-alive connection is closed after this
  size_t max_head = 64 * 1024;         // request line + headers
};

// What the server asks of the application, request by request.
class HttpApp {
 public:
  // The application's state for one request, between admit() and handle().
  struct Pending {
    virtual ~Pending() = default;
  };
  struct Admission {
    enum class Body { buffer, stream } body = Body::buffer;
    uint64_t limit = 0;                // buffer: most bytes accepted (413 past it); stream: none
    bool quick = false;                // handle() never blocks: run it on the event loop
    std::unique_ptr<Pending> pending;  // null: `res` already holds the final answer
  };
  virtual ~HttpApp() = default;
  // After the head, before any body byte: refuse (fill res, no pending) or admit. Must not block.
  virtual Admission admit(Request& req, Response& res) = 0;
  // With the body buffered (or ready to stream): how long to hold the request before handle().
  // Must not block.
  virtual int64_t hold_ms(Pending& p, Request& req, Response& res) = 0;
  // Runs on a handler thread. `reader` is set for streamed bodies only. `body` may be moved
  // from; a buffer it still (or again) holds on return is kept for a later big body.
  virtual void handle(Pending& p, Request& req, Response& res, std::string&& body,
                      const ContentReader* reader) = 0;
  // An error before or outside any handler (framing, timeouts): the JSON error response.
  virtual void refuse(Response& res, int status, const std::string& message) = 0;
};

class HttpServer {
 public:
  HttpServer(HttpApp& app, HttpLimits limits);
  ~HttpServer();

  // Binds and listens (connections queue from here on). Returns the bound port.
  Result<int> bind(const std::string& host, int port);
  // Runs the handler threads until stop(); returns when they have finished.
  void serve();
  // Stops accepting, closes idle connections and ends in-flight I/O within ~200 ms; requests in
  // handlers finish. Safe from any thread, before or during serve().
  void stop();
  size_t open_connections() const;

  struct Impl;  // http_server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace era::api
