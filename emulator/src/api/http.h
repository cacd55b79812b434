#pragma once
// What a handler sees of HTTP: a parsed request and a response to fill. No library types — the
// server (api/http_server.cpp, Boost.Beast) is the only code that knows how bytes become these,
// so handlers compile without Beast and the engines cannot reach either.
//
// Header values are byte-exact as sent (never percent-decoded). The path is percent-decoded
// (what the router matches); query parameters are decoded with '+' as a space.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace era::api {

struct CaseLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
using Headers = std::multimap<std::string, std::string, CaseLess>;
using Params = std::multimap<std::string, std::string, std::less<>>;

struct Request {
  std::string method;   // as sent: GET, HEAD, PUT, POST, DELETE, OPTIONS, ...
  std::string target;   // the raw request target
  std::string path;     // percent-decoded path of the target
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  Headers headers;
  Params params;        // decoded query parameters, in order
  std::string remote_addr;
  int remote_port = -1;

  bool has_header(std::string_view name) const { return headers.find(name) != headers.end(); }
  // The first value of the header, or def.
  std::string get_header_value(std::string_view name, std::string_view def = {}) const;
  bool has_param(std::string_view name) const { return params.find(name) != params.end(); }
  size_t get_param_value_count(std::string_view name) const { return params.count(name); }
  std::string get_param_value(std::string_view name, size_t index = 0) const;
};

// Where a streamed response body goes: write returns false once the client is gone.
struct DataSink {
  std::function<bool(const char* data, size_t n)> write;
  std::function<void()> done;  // chunked providers: no more data
};
// Called with (offset, max length) until the declared length is sent (chunked: until done()).
// Returning false aborts the response (the connection is closed).
using ContentProvider = std::function<bool(size_t offset, size_t length, DataSink& sink)>;

// Receives request body bytes; returning false stops reading.
using ContentReceiver = std::function<bool(const char* data, size_t n)>;
// Reads the request body into the receiver; false when the body ended early, broke its framing,
// or the receiver said stop.
using ContentReader = std::function<bool(const ContentReceiver& receiver)>;

struct Response {
  int status = -1;  // -1: not set (200 when sent)
  Headers headers;
  std::string body;
  // A streamed body instead of `body`: `content_length` bytes, or chunked when `chunked`.
  ContentProvider provider;
  uint64_t content_length = 0;
  bool chunked = false;

  // Connection control, for the fault guard: drop the connection before any response byte
  // (`abort`), or send the head with the full length but only `truncate_after` body bytes and
  // then close.
  bool abort = false;
  std::optional<uint64_t> truncate_after;
  bool close = false;  // close the connection after this response

  void set_header(std::string_view name, std::string_view value) { headers.emplace(name, value); }
  bool has_header(std::string_view name) const { return headers.find(name) != headers.end(); }
  std::string get_header_value(std::string_view name) const;
  void set_content(std::string content, std::string_view content_type);
  void set_content_provider(uint64_t length, std::string_view content_type, ContentProvider p);
  void set_chunked_content_provider(std::string_view content_type, ContentProvider p);
};

// Percent-decoding of a path (no '+' rule) or a query component ('+' is a space).
std::string percent_decode(std::string_view s, bool plus_is_space);
// ASCII case folding for header names, schemes and tokens (RFC 9110 compares them so).
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// name=value&... into params, each side decoded.
void parse_query(std::string_view query, Params& out);

}  // namespace era::api
