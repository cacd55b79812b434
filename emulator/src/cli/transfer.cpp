#include "cli/transfer.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>

namespace era::cli {
namespace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
  return buf;
}

constexpr size_t kChunk = 256 * 1024;

}  // namespace

std::string content_type_for(const std::string& path) {
  // The types people upload most; the same answers as the `mime` package wrangler uses.
  static const std::map<std::string, std::string> types = {
      {"html", "text/html"},        {"htm", "text/html"},          {"css", "text/css"},
      {"js", "text/javascript"},    {"mjs", "text/javascript"},    {"json", "application/json"},
      {"txt", "text/plain"},        {"md", "text/markdown"},       {"csv", "text/csv"},
      {"xml", "application/xml"},   {"yaml", "text/yaml"},         {"yml", "text/yaml"},
      {"png", "image/png"},         {"jpg", "image/jpeg"},         {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},         {"webp", "image/webp"},        {"avif", "image/avif"},
      {"svg", "image/svg+xml"},     {"ico", "image/vnd.microsoft.icon"},
      {"pdf", "application/pdf"},   {"zip", "application/zip"},    {"gz", "application/gzip"},
      {"tar", "application/x-tar"}, {"wasm", "application/wasm"},  {"mp4", "video/mp4"},
      {"webm", "video/webm"},       {"mp3", "audio/mpeg"},         {"wav", "audio/wav"},
      {"ogg", "audio/ogg"},         {"woff", "font/woff"},         {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},          {"otf", "font/otf"},           {"sql", "application/sql"},
  };
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "application/octet-stream";
  std::string ext = path.substr(dot + 1);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), tty_(isatty(STDERR_FILENO) == 1), started_us_(now_us()) {}

ProgressBar::~ProgressBar() {
  if (tty_ && !finished_ && drawn_us_) std::fputs("\n", stderr);  // leave the line readable
}

void ProgressBar::update(int64_t done) {
  done_ = done;
  if (!tty_ || finished_) return;
  int64_t t = now_us();
  if (t - drawn_us_ < 100'000) return;
  drawn_us_ = t;
  draw(false);
}

void ProgressBar::finish() {
  if (!tty_ || finished_) return;
  draw(true);
  finished_ = true;
}

void ProgressBar::draw(bool last) {
  double secs = std::max(1e-6, double(now_us() - started_us_) / 1e6);
  std::string rate = mib(int64_t(double(done_) / secs)) + "/s";
  std::string line = "\r" + label_ + "  ";
  if (total_ > 0) {
    int pct = int(std::min<int64_t>(100, done_ * 100 / total_));
    int width = 30, filled = pct * width / 100;
    line += "[" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), ' ') + "] " +
            std::to_string(pct) + "%  " + mib(done_) + " / " + mib(total_);
  } else {
    line += mib(done_);
  }
  line += "  " + rate + "\033[K";
  if (last) line += "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

Reply upload(const Conn& c, const std::string& path, const HeaderList& headers, std::FILE* in,
             int64_t size, ProgressBar& bar) {
  Reply out;
  auto http = http_client(c, 300);
  httplib::Headers h;
  std::string content_type = "application/octet-stream";
  for (const auto& [k, v] : headers) {
    if (k == "Content-Type") content_type = v;
    else h.emplace(k, v);
  }
  std::vector<char> buf(kChunk);
  int64_t sent = 0;
  bool read_failed = false;
  auto pump = [&](size_t want, httplib::DataSink& sink) {
    size_t n = std::fread(buf.data(), 1, std::min(want, buf.size()), in);
    if (n == 0) {
      if (std::ferror(in)) read_failed = true;
      return false;
    }
    if (!sink.write(buf.data(), n)) return false;
    sent += int64_t(n);
    bar.update(sent);
    return true;
  };
  httplib::Result r =
      size >= 0
          ? http->Put(path, h, size_t(size),
                      [&](size_t, size_t length, httplib::DataSink& sink) { return pump(length, sink); },
                      content_type)
          : http->Put(path, h,
                      [&](size_t, httplib::DataSink& sink) {
                        if (pump(buf.size(), sink)) return true;
                        if (!read_failed) sink.done();  // end of stdin: the last chunk
                        return !read_failed;
                      },
                      content_type);
  if (read_failed) {
    out.local_error = true;
    out.error = std::string("reading the input failed: ") + std::strerror(errno);
    return out;
  }
  if (!r) {
    out.error = unreachable(c, httplib::to_string(r.error()));
    return out;
  }
  bar.finish();
  out.reached = true;
  out.status = r->status;
  out.body = r->body;
  return out;
}

Download download(const Conn& c, const std::string& path, std::FILE* out, const std::string& label) {
  Download d;
  auto http = http_client(c, 300);
  std::unique_ptr<ProgressBar> bar;
  bool write_failed = false;
  httplib::Result r = http->Get(
      path, httplib::Headers{},
      [&](const httplib::Response& res) {
        d.reply.status = res.status;
        d.content_type = res.get_header_value("Content-Type");
        d.etag = res.get_header_value("ETag");
        int64_t total = -1;
        if (res.has_header("Content-Length"))
          total = std::strtoll(res.get_header_value("Content-Length").c_str(), nullptr, 10);
        if (res.status < 400) bar = std::make_unique<ProgressBar>(label, total);
        return true;
      },
      [&](const char* data, size_t n) {
        if (d.reply.status >= 400) {  // an error's JSON: keep it for the message (bounded)
          if (d.reply.body.size() < 65536) d.reply.body.append(data, std::min<size_t>(n, 65536));
          return true;
        }
        if (std::fwrite(data, 1, n, out) != n) {
          write_failed = true;
          return false;
        }
        d.bytes += int64_t(n);
        if (bar) bar->update(d.bytes);
        return true;
      });
  if (write_failed) {
    d.reply.local_error = true;
    d.reply.error = std::string("writing the output failed: ") + std::strerror(errno);
    return d;
  }
  if (!r) {
    d.reply.error = unreachable(c, httplib::to_string(r.error()));
    return d;
  }
  if (bar) bar->finish();
  d.reply.reached = true;
  return d;
}

}  // namespace era::cli
