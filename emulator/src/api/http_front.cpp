#include "api/http_front.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "api/json_io.h"
#include "core/log.h"

namespace era::api {
namespace {

constexpr size_t kMaxHead = 64 * 1024;       // request line + headers
constexpr size_t kReadChunk = 256 * 1024;     // body bytes per recv
constexpr int kTickMs = 200;                  // recv timeout: how often a waiting loop checks stop()
constexpr int kIdleMs = 5000;                 // keep-alive: idle time before the server closes
constexpr int kIoMs = 30000;                  // a started request or response may stall this long
constexpr size_t kDrainMax = 1024 * 1024;     // unread body a kept-alive connection still skips
constexpr int kLingerMs = 2000;               // after refusing an unread body: let the client read

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

bool has_token(std::string_view list, std::string_view token) {  // "keep-alive, Upgrade" contains "upgrade"
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view t = list.substr(0, comma);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (iequals(t, token)) return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return false;
}

const char* reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

struct Refusal {
  int status;
  std::string message;
};

class Connection {
 public:
  Connection(int fd, const HttpFront& server, const HttpFront::Handler& handler)
      : fd_(fd), server_(server), handler_(handler) {}

  void run() {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{0, kTickMs * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    timeval wt{kIoMs / 1000, 0};
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &wt, sizeof wt);
    fill_addresses();
    while (serve_one()) {
    }
  }

 private:
  // ---- input ---------------------------------------------------------------------------

  size_t buffered() const { return end_ - pos_; }
  const char* data() const { return buf_.get() + pos_; }
  void consume(size_t n) {
    pos_ += n;
    if (pos_ == end_) pos_ = end_ = 0;
  }

  // recv into `dst`; waits in kTickMs steps up to `limit_ms`, giving up early on stop().
  // > 0 bytes, 0 at EOF, -1 on error, timeout or stop.
  ssize_t recv_some(char* dst, size_t n, int limit_ms, bool stop_aborts) {
    int waited = 0;
    for (;;) {
      ssize_t got = ::recv(fd_, dst, n, 0);
      if (got >= 0) return got;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      waited += kTickMs;
      if (waited >= limit_ms || (stop_aborts && server_.stopping())) return -1;
    }
  }

  // Appends at least one byte to the buffer. `idle`: waiting for a new request.
  bool fill(bool idle) {
    if (end_ == cap_) {  // full: move the unread part to the front, or grow (a long head)
      if (pos_ > 0) {
        std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
      } else {
        auto bigger = std::make_unique_for_overwrite<char[]>(cap_ * 2);
        std::memcpy(bigger.get(), buf_.get(), end_);
        buf_ = std::move(bigger);
        cap_ *= 2;
      }
    }
    ssize_t got = recv_some(buf_.get() + end_, cap_ - end_, idle ? kIdleMs : kIoMs, idle);
    if (got <= 0) return false;
    end_ += size_t(got);
    return true;
  }

  // ---- output --------------------------------------------------------------------------

  bool send_all(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      p += w;
      n -= size_t(w);
    }
    return true;
  }

  // head (and body, if any) in as few syscalls as the kernel allows.
  bool send_two(std::string_view a, std::string_view b) {
    while (!a.empty() || !b.empty()) {
      iovec iov[2];
      int cnt = 0;
      if (!a.empty()) iov[cnt++] = {const_cast<char*>(a.data()), a.size()};
      if (!b.empty()) iov[cnt++] = {const_cast<char*>(b.data()), b.size()};
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = cnt;
      ssize_t w = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      size_t done = size_t(w);
      size_t from_a = std::min(done, a.size());
      a.remove_prefix(from_a);
      b.remove_prefix(std::min(done - from_a, b.size()));
    }
    return true;
  }

  // ---- one request ---------------------------------------------------------------------

  void fill_addresses() {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    auto describe = [](const sockaddr_storage& s, std::string& ip, int& port) {
      char buf[INET6_ADDRSTRLEN] = {};
      if (s.ss_family == AF_INET) {
        auto& in = reinterpret_cast<const sockaddr_in&>(s);
        inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
        port = ntohs(in.sin_port);
      } else if (s.ss_family == AF_INET6) {
        auto& in6 = reinterpret_cast<const sockaddr_in6&>(s);
        inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
        port = ntohs(in6.sin6_port);
      }
      ip = buf;
    };
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) describe(a, remote_ip_, remote_port_);
    len = sizeof a;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) describe(a, local_ip_, local_port_);
  }

  // Parses request line and headers (the head, without its blank line). Empty = fine.
  std::optional<Refusal> parse_head(std::string_view head, httplib::Request& req) {
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == 0 || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
      return Refusal{400, "malformed request line (expected METHOD TARGET HTTP/1.1)"};
    req.method = std::string(line.substr(0, sp1));
    req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    req.version = std::string(line.substr(sp2 + 1));
    if (req.version != "HTTP/1.1" && req.version != "HTTP/1.0")
      return Refusal{400, "unsupported HTTP version \"" + req.version.substr(0, 20) + "\" (HTTP/1.1 or 1.0)"};
    for (char c : req.method)
      if (!std::isupper(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        return Refusal{400, "malformed request method"};
    std::string_view target = req.target;
    if (target.starts_with("http://") || target.starts_with("https://")) {  // absolute-form
      size_t slash = target.find('/', target.find("//") + 2);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    if (target.empty() || (target[0] != '/' && target != "*"))
      return Refusal{400, "request target must be a path starting with '/'"};
    size_t q = target.find('?');
    // cpp-httplib's own decoding (%XX, %uXXXX; '+' is a space only in the query), so handlers
    // see exactly what they saw when cpp-httplib parsed requests.
    req.path = httplib::detail::decode_url(std::string(target.substr(0, q)), false);
    if (q != std::string_view::npos) httplib::detail::parse_query_text(std::string(target.substr(q + 1)), req.params);

    std::string_view rest = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    while (!rest.empty()) {
      size_t e = rest.find("\r\n");
      std::string_view h = rest.substr(0, e);
      rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
      size_t colon = h.find(':');
      if (colon == 0 || colon == std::string_view::npos || h[0] == ' ' || h[0] == '\t' ||
          h[colon - 1] == ' ' || h[colon - 1] == '\t')
        return Refusal{400, "malformed header line \"" + std::string(h.substr(0, 60)) + "\""};
      std::string_view v = h.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      req.headers.emplace(std::string(h.substr(0, colon)), httplib::detail::decode_url(std::string(v), false));
    }
    req.remote_addr = remote_ip_;
    req.remote_port = remote_port_;
    req.local_addr = local_ip_;
    req.local_port = local_port_;
    return std::nullopt;
  }

  // ---- request body --------------------------------------------------------------------

  struct Body {
    bool chunked = false;
    uint64_t remaining = 0;   // Content-Length bytes not yet read (or of the current chunk)
    bool done = true;         // the whole body was read
    bool broken = false;      // the framing failed: the connection cannot be reused
    bool expect_continue = false;
    bool continue_sent = false;
  };

  bool send_continue(Body& b) {
    if (!b.expect_continue || b.continue_sent) return true;
    b.continue_sent = true;
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    return send_all(k100.data(), k100.size());
  }

  // Delivers up to `remaining` raw bytes to `recv`; false on EOF, error, or the receiver's no.
  bool pump(Body& b, uint64_t n, const httplib::ContentReceiver& recv) {
    while (n > 0) {
      if (buffered() > 0) {
        size_t take = size_t(std::min<uint64_t>(n, buffered()));
        bool ok = recv(data(), take);
        consume(take);
        n -= take;
        b.remaining -= take;
        if (!ok) return false;
        continue;
      }
      thread_local std::string chunk(kReadChunk, '\0');
      size_t want = size_t(std::min<uint64_t>(n, kReadChunk));
      ssize_t got = recv_some(chunk.data(), want, kIoMs, false);
      if (got <= 0) {
        b.broken = true;
        return false;
      }
      n -= size_t(got);
      b.remaining -= size_t(got);
      if (!recv(chunk.data(), size_t(got))) return false;
    }
    return true;
  }

  // A line of the chunked framing (size line or trailer), without its CRLF.
  bool read_line(std::string& line) {
    for (;;) {
      std::string_view buf(data(), buffered());
      size_t e = buf.find("\r\n");
      if (e != std::string_view::npos) {
        line.assign(buf.substr(0, e));
        consume(e + 2);
        return true;
      }
      if (buffered() > 4096 || !fill(false)) return false;
    }
  }

  bool read_body(Body& b, const httplib::ContentReceiver& recv) {
    if (b.done) return true;
    if (!send_continue(b)) {
      b.broken = true;
      return false;
    }
    if (!b.chunked) {
      bool ok = pump(b, b.remaining, recv);
      if (b.remaining == 0) b.done = true;
      return ok;
    }
    for (;;) {
      if (b.remaining > 0) {
        if (!pump(b, b.remaining, recv)) return false;
        std::string crlf;
        if (!read_line(crlf) || !crlf.empty()) return b.broken = true, false;
        continue;
      }
      std::string line;
      if (!read_line(line)) return b.broken = true, false;
      uint64_t size = 0;
      std::string_view digits(line);
      digits = digits.substr(0, digits.find(';'));
      while (!digits.empty() && digits.back() == ' ') digits.remove_suffix(1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
      if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) return b.broken = true, false;
      if (size == 0) {  // trailers, then the blank line
        do {
          if (!read_line(line)) return b.broken = true, false;
        } while (!line.empty());
        b.done = true;
        return true;
      }
      b.remaining = size;
    }
  }

  // ---- response ------------------------------------------------------------------------

  bool write_response(const httplib::Request& req, httplib::Response& res, bool close) {
    const bool head_only = req.method == "HEAD";
    const bool bodyless = res.status < 200 || res.status == 204 || res.status == 304;
    const bool provider = bool(res.content_provider_);
    const bool chunked = provider && res.is_chunked_content_provider_;
    if (!bodyless && !res.has_header("Content-Type") && (!res.body.empty() || res.content_length_ > 0 || provider))
      res.set_header("Content-Type", "text/plain");

    std::string head;
    head.reserve(256);
    head += "HTTP/1.1 ";
    head += std::to_string(res.status);
    head += ' ';
    head += reason(res.status);
    head += "\r\n";
    for (const auto& [name, value] : res.headers) {
      if (iequals(name, "Connection") || iequals(name, "Transfer-Encoding")) continue;
      if (iequals(name, "Content-Length") && !head_only) continue;  // computed below
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    if (!bodyless && !(head_only && res.has_header("Content-Length"))) {
      if (chunked) {
        head += "Transfer-Encoding: chunked\r\n";
      } else {
        head += "Content-Length: ";
        head += std::to_string(provider ? res.content_length_ : res.body.size());
        head += "\r\n";
      }
    }
    if (close) head += "Connection: close\r\n";
    else if (req.version == "HTTP/1.0") head += "Connection: keep-alive\r\n";
    head += "\r\n";

    if (head_only || bodyless) return send_all(head.data(), head.size());
    if (!provider) return send_two(head, res.body);

    // Streamed body: the head goes out with the first piece.
    bool ok = true;
    bool head_sent = false;
    size_t offset = 0;
    httplib::DataSink sink;
    auto put = [&](std::string_view piece) {
      if (!head_sent) {
        head_sent = true;
        return send_two(head, piece);
      }
      return send_all(piece.data(), piece.size());
    };
    sink.write = [&](const char* d, size_t n) -> bool {
      if (!ok) return false;
      if (chunked) {
        char size_line[24];
        int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
        ok = n == 0 || (put(std::string_view(size_line, size_t(len))) && send_all(d, n) && send_all("\r\n", 2));
      } else {
        ok = put(std::string_view(d, n));
      }
      if (ok) offset += n;
      return ok;
    };
    bool finished = false;
    sink.done = [&] { finished = true; };
    sink.is_writable = [&] { return ok; };
    if (chunked) {
      while (ok && !finished) {
        if (!res.content_provider_(offset, 0, sink)) return false;
      }
      return ok && put("0\r\n\r\n");
    }
    while (ok && offset < res.content_length_) {
      if (!res.content_provider_(offset, res.content_length_ - offset, sink)) return false;
    }
    return ok && (head_sent || put({}));
  }

  bool refuse(const Refusal& r) {
    httplib::Request req;
    httplib::Response res;
    send_error(res, Error(Code::BAD_REQUEST, r.status, r.message));
    write_response(req, res, true);
    linger_close();
    return false;
  }

  // After a final answer that left request bytes unread: stop sending, then keep reading (and
  // discarding) for a while, so a client still writing its body gets to read the answer
  // instead of a connection reset.
  void linger_close() {
    ::shutdown(fd_, SHUT_WR);
    thread_local std::string sink(64 * 1024, '\0');
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLingerMs);
    while (std::chrono::steady_clock::now() < until) {
      ssize_t got = ::recv(fd_, sink.data(), sink.size(), 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
    }
  }

  // Serves one request; false when the connection is done.
  bool serve_one() {
    size_t head_end = std::string_view::npos;
    for (;;) {
      std::string_view buf(data(), buffered());
      // Tolerate blank lines between requests (RFC 9112 §2.2).
      while (buf.starts_with("\r\n")) {
        consume(2);
        buf = std::string_view(data(), buffered());
      }
      head_end = buf.find("\r\n\r\n");
      if (head_end != std::string_view::npos) break;
      if (buf.size() > kMaxHead)
        return refuse({431, "request line and headers exceed " + std::to_string(kMaxHead) + " bytes"});
      if (!fill(buf.empty())) return false;  // closed, idle timeout or stop
    }
    if (head_end > kMaxHead)
      return refuse({431, "request line and headers exceed " + std::to_string(kMaxHead) + " bytes"});

    httplib::Request req;
    if (auto bad = parse_head(std::string_view(data(), head_end), req)) return refuse(*bad);
    consume(head_end + 4);

    Body body;
    std::string te = req.get_header_value("Transfer-Encoding");
    if (!te.empty()) {
      if (!iequals(te, "chunked")) return refuse({501, "Transfer-Encoding \"" + te.substr(0, 40) + "\" is not supported (chunked is)"});
      body.chunked = true;
      body.done = false;
    } else if (req.has_header("Content-Length")) {
      std::string cl = req.get_header_value("Content-Length");
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
      if (cl.empty() || ec != std::errc() || p != cl.data() + cl.size())
        return refuse({400, "Content-Length \"" + cl.substr(0, 40) + "\" is not a number"});
      body.remaining = n;
      body.done = n == 0;
    }
    body.expect_continue = iequals(req.get_header_value("Expect"), "100-continue");

    bool close = server_.stopping() || has_token(req.get_header_value("Connection"), "close") ||
                 (req.version == "HTTP/1.0" && !has_token(req.get_header_value("Connection"), "keep-alive"));

    httplib::ContentReader reader(
        [&](httplib::ContentReceiver recv) { return read_body(body, recv); },
        [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
    bool with_reader = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";

    httplib::Response res;
    try {
      handler_(req, res, with_reader ? &reader : nullptr);
    } catch (const std::exception& e) {
      log::error("INTERNAL error on ", req.method, " ", req.path, ": ", e.what());
      res = httplib::Response();
      send_error(res, Error(Code::INTERNAL, std::string("internal error: ") + e.what()));
    } catch (...) {
      log::error("INTERNAL error on ", req.method, " ", req.path, ": unknown exception");
      res = httplib::Response();
      send_error(res, Error(Code::INTERNAL, "internal error: unknown exception"));
    }
    if (res.status == -1) res.status = 200;
    if (iequals(res.get_header_value("Connection"), "close")) close = true;

    // A body the handler left unread: skip a small one, otherwise answer and close.
    bool unread = !body.done && !body.broken;
    if (unread && !close && !body.chunked && body.remaining <= kDrainMax && (!body.expect_continue || body.continue_sent)) {
      read_body(body, [](const char*, size_t) { return true; });
      unread = !body.done;
    }
    if (unread || body.broken) close = true;

    if (!write_response(req, res, close)) return false;
    if (close) {
      if (unread) linger_close();
      return false;
    }
    return true;
  }

  int fd_;
  const HttpFront& server_;
  const HttpFront::Handler& handler_;
  size_t cap_ = 32 * 1024;
  std::unique_ptr<char[]> buf_ = std::make_unique_for_overwrite<char[]>(cap_);  // unread input: [pos_, end_)
  size_t pos_ = 0, end_ = 0;
  std::string remote_ip_, local_ip_;
  int remote_port_ = -1, local_port_ = -1;
};

}  // namespace

bool HttpFront::process_and_close_socket(socket_t sock) {
  Connection(sock, *this, handler_).run();
  ::close(sock);
  return true;
}

}  // namespace era::api
