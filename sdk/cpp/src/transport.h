#pragma once
// The one place that speaks HTTP: builds headers (token, location, client tag), sends the
// request on a keep-alive httplib::Client under a mutex, and turns an error response or a
// socket failure into an era::client::Error.
#include <httplib.h>

#include <mutex>

#include "era/client/client.h"

namespace era::client {

struct Reply {
  int status = 0;
  httplib::Headers headers;
  std::string body;
  std::string header(const std::string& name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

struct Client::Impl {
  explicit Impl(Config c);

  Config config;
  std::mutex mu;
  httplib::Client http;

  httplib::Headers headers(const httplib::Headers& extra = {}) const;

  // Any method with an in-memory body. A reply with any status is a value; only a missing
  // response is an Error.
  Result<Reply> send(const std::string& method, const std::string& path, const std::string& body = {},
                     const std::string& content_type = {}, const httplib::Headers& extra = {});
  // JSON in, JSON out: a non-2xx status becomes an Error; an empty 2xx body becomes {}.
  Result<json> call(const std::string& method, const std::string& path, const json* body = nullptr);

  // Streams a file as the request body.
  Result<Reply> put_file(const std::string& path, const std::filesystem::path& file,
                         const std::string& content_type, const httplib::Headers& extra);
  // Streams a 2xx response body into `out` (an error body is collected in Reply::body).
  Result<Reply> get_to(const std::string& path, const httplib::Headers& extra, std::FILE* out);
};

// The Error an error reply stands for ({"error","code",...details}; non-JSON bodies kept as text).
Error error_from(const Reply& r);
Error transport_error(httplib::Error e);
Error bad_reply(const std::string& what, const std::string& body);

// A 404 that means "no such key/object/table" — not "no such route" (NOT_FOUND "no route for
// ..."), which stays an Error so a server without the route never looks like an empty store.
bool is_missing(const Reply& r);

// Parses a 2xx JSON body; a body that is not JSON is an Error (code "BAD_REPLY").
Result<json> json_body(const Reply& r);

// "?a=1&b=2" from the non-empty pairs (values percent-encoded), or "".
std::string query_string(const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace era::client
