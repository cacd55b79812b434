#pragma once
// The HTTP/1.1 connection loop. cpp-httplib keeps what it does well — bind, listen, accept,
// the worker pool, stop() — and each accepted connection is served here instead of by its own
// loop, which polls before every 4 KiB read, writes headers and body in separate sends,
// compresses JSON for clients that accept it and answers some malformed requests with bare
// non-JSON errors. Here: one recv per request in the common case, one writev per response,
// 64 KiB+ body reads, JSON errors for malformed requests, a lingering close after refusing an
// unread body (so the client reads the refusal), and idle keep-alive connections that notice
// stop() within 200 ms.
//
// Requests reach the handler as httplib::Request / httplib::Response / httplib::ContentReader,
// filled as cpp-httplib fills them (percent-decoded path and header values, query params with
// '+' as space, local/remote ports), so the rest of api/ is unchanged.
#include <functional>

#include <httplib.h>

namespace era::api {

class HttpFront : public httplib::Server {
 public:
  // reader is null for GET/HEAD/OPTIONS, set for methods that may carry a body.
  using Handler = std::function<void(const httplib::Request&, httplib::Response&,
                                     const httplib::ContentReader* reader)>;
  explicit HttpFront(Handler handler) : handler_(std::move(handler)) {}

  // True once stop() was called: connection loops finish their request and close.
  bool stopping() const { return svr_sock_ == INVALID_SOCKET; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  Handler handler_;
};

}  // namespace era::api
