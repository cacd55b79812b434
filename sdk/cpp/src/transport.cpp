#include "transport.h"

#include <cstdio>
#include <cstdlib>

namespace era::client {

std::string Error::describe() const {
  std::string out = status ? std::to_string(status) : std::string("no response");
  if (!code.empty()) out += " " + code;
  if (!message.empty()) out += ": " + message;
  if (!details.is_null() && !details.empty())
    out += " " + details.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

Config Config::from_env() {
  Config c;
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (auto u = env("ERA_STORAGE_URL"); !u.empty()) c.url = u;
  c.token = env("ERA_EMU_TOKEN");
  c.location = env("ERA_LOCATION");
  c.client_tag = env("ERA_CLIENT");
  return c;
}

namespace {

bool unreserved(unsigned char ch) {
  return std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

std::string percent_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    if (unreserved(ch) || (keep_slash && ch == '/')) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

// A URL without a trailing slash ("http://h:1/" and "http://h:1" both work).
std::string base_url(std::string u) {
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

}  // namespace

std::string encode_key(std::string_view key) { return percent_encode(key, true); }
std::string encode_component(std::string_view s) { return percent_encode(s, false); }

std::string query_string(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string q;
  for (const auto& [k, v] : pairs) {
    if (v.empty()) continue;
    q += q.empty() ? '?' : '&';
    q += k + "=" + encode_component(v);
  }
  return q;
}

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

Error transport_error(httplib::Error e) {
  return Error{0, "TRANSPORT", "no response: " + httplib::to_string(e), nullptr};
}

Error bad_reply(const std::string& what, const std::string& body) {
  return Error{0, "BAD_REPLY", what + ": " + body.substr(0, 200), nullptr};
}

Error error_from(const Reply& r) {
  Error e{r.status, "", "", nullptr};
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (auto it = j.find("error"); it != j.end())
      e.message = it->is_string() ? it->get<std::string>() : it->dump();
    if (auto it = j.find("code"); it != j.end() && it->is_string()) e.code = it->get<std::string>();
    j.erase("error");
    j.erase("code");
    if (!j.empty()) e.details = std::move(j);
  } else {
    e.message = r.body.substr(0, 500);
  }
  if (e.code.empty()) e.code = "HTTP_" + std::to_string(r.status);
  return e;
}

bool is_missing(const Reply& r) {
  if (r.status != 404) return false;
  if (r.body.empty()) return true;  // HEAD
  Error e = error_from(r);
  return !(e.code == "NOT_FOUND" && e.message.starts_with("no route for "));
}

Result<json> json_body(const Reply& r) {
  if (r.body.empty()) return json::object();
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return std::unexpected(bad_reply("response is not JSON", r.body));
  return j;
}

Client::Impl::Impl(Config c) : config(std::move(c)), http(base_url(config.url)) {
  auto secs = config.timeout.count() / 1000;
  auto usecs = (config.timeout.count() % 1000) * 1000;
  http.set_connection_timeout(secs, usecs);
  http.set_read_timeout(secs, usecs);
  http.set_write_timeout(secs, usecs);
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);  // headers and body are separate writes: without this, Nagle + delayed ACK add 40 ms per request
  http.set_url_encode(false);  // paths arrive already percent-encoded
}

httplib::Headers Client::Impl::headers(const httplib::Headers& extra) const {
  httplib::Headers h = extra;
  if (!config.token.empty()) h.emplace("Authorization", "Bearer " + config.token);
  if (!config.location.empty()) h.emplace("X-Era-Location", config.location);
  if (!config.client_tag.empty()) h.emplace("X-Era-Client", config.client_tag);
  return h;
}

Result<Reply> Client::Impl::send(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& content_type,
                                 const httplib::Headers& extra) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers(extra);
  if (!body.empty() || method == "PUT" || method == "POST") {
    req.body = body;
    if (!content_type.empty()) req.headers.emplace("Content-Type", content_type);
  }
  std::lock_guard lock(mu);
  auto res = http.send(req);
  if (!res) return std::unexpected(transport_error(res.error()));
  return Reply{res->status, res->headers, std::move(res->body)};
}

Result<json> Client::Impl::call(const std::string& method, const std::string& path, const json* body) {
  std::string text = body ? body->dump(-1, ' ', false, json::error_handler_t::replace) : "";
  auto r = send(method, path, text, body ? "application/json" : "");
  if (!r) return std::unexpected(r.error());
  if (!r->ok()) return std::unexpected(error_from(*r));
  return json_body(*r);
}

Result<Reply> Client::Impl::put_file(const std::string& path, const std::filesystem::path& file,
                                     const std::string& content_type, const httplib::Headers& extra) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) return std::unexpected(Error{0, "FILE_ERROR", file.string() + ": " + ec.message(), nullptr});
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return std::unexpected(Error{0, "FILE_ERROR", "cannot open " + file.string(), nullptr});
  std::vector<char> buf(256 * 1024);
  bool read_failed = false;
  auto provider = [&](size_t offset, size_t length, httplib::DataSink& sink) {
    if (std::fseek(f, static_cast<long>(offset), SEEK_SET) != 0) return read_failed = true, false;
    size_t n = std::fread(buf.data(), 1, std::min(length, buf.size()), f);
    if (n == 0) return read_failed = true, false;
    return sink.write(buf.data(), n);
  };
  auto res = [&] {
    std::lock_guard lock(mu);
    return http.Put(path, headers(extra), size, provider,
                    content_type.empty() ? "application/octet-stream" : content_type);
  }();
  std::fclose(f);
  if (read_failed)
    return std::unexpected(Error{0, "FILE_ERROR", "reading " + file.string() + " failed", nullptr});
  if (!res) return std::unexpected(transport_error(res.error()));
  return Reply{res->status, res->headers, std::move(res->body)};
}

Result<Reply> Client::Impl::get_to(const std::string& path, const httplib::Headers& extra, std::FILE* out) {
  Reply reply;
  bool write_failed = false;
  auto on_response = [&](const httplib::Response& r) {
    reply.status = r.status;
    reply.headers = r.headers;
    return true;
  };
  auto on_data = [&](const char* data, size_t n) {
    if (!reply.ok()) {
      if (reply.body.size() < (1u << 20)) reply.body.append(data, n);
      return true;
    }
    if (std::fwrite(data, 1, n, out) != n) return write_failed = true, false;
    return true;
  };
  auto res = [&] {
    std::lock_guard lock(mu);
    return http.Get(path, headers(extra), on_response, on_data);
  }();
  if (write_failed) return std::unexpected(Error{0, "FILE_ERROR", "writing the download failed", nullptr});
  if (!res) return std::unexpected(transport_error(res.error()));
  return reply;
}

Client::Client(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
const Config& Client::config() const { return impl_->config; }

}  // namespace era::client
