#include "api/router.h"

#include "api/json_io.h"

#include <algorithm>
#include <array>

namespace era::api {

Route& Router::add(Route r) {
  std::string_view p = r.pattern;
  if (size_t q = p.find('?'); q != std::string_view::npos) {
    std::string_view cond = p.substr(q + 1);
    p = p.substr(0, q);
    while (!cond.empty()) {
      size_t amp = cond.find('&');
      r.needs.emplace_back(cond.substr(0, amp));
      cond = amp == std::string_view::npos ? std::string_view{} : cond.substr(amp + 1);
    }
  }
  if (p.starts_with('/')) p.remove_prefix(1);
  // "/_emu/ui/": a trailing slash is a last, empty segment, so "/_emu/ui" stays a different path.
  const bool trailing_slash = !p.empty() && p.back() == '/';
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view seg = p.substr(0, slash);
    Route::Segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.capture = true;
      s.rest = seg.size() >= 3 && seg[seg.size() - 2] == '+';
      s.name = std::string(seg.substr(1, seg.size() - (s.rest ? 3 : 2)));
    } else {
      s.literal = std::string(seg);
    }
    r.segments.push_back(std::move(s));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  if (trailing_slash) r.segments.push_back(Route::Segment{});
  return routes_.emplace_back(std::move(r));
}

// A row's captures as views into the path: nothing is allocated until a row matches.
struct Router::Captures {
  std::array<std::string_view, 8> v;
  size_t n = 0;
};

bool Router::match_path(const Route& r, std::string_view path, Captures& out) {
  out.n = 0;
  if (!path.starts_with('/')) return false;
  path.remove_prefix(1);
  for (size_t i = 0; i < r.segments.size(); ++i) {
    const auto& s = r.segments[i];
    if (s.rest) {
      if (path.empty() || out.n == out.v.size()) return false;
      out.v[out.n++] = path;
      return true;
    }
    size_t slash = path.find('/');
    bool last = i + 1 == r.segments.size();
    std::string_view seg = path.substr(0, slash);
    if (s.capture) {
      if (seg.empty() || out.n == out.v.size()) return false;
      out.v[out.n++] = seg;
    } else if (seg != s.literal) {
      return false;
    }
    if (last) return slash == std::string_view::npos;
    if (slash == std::string_view::npos) return false;
    path.remove_prefix(slash + 1);
  }
  return path.empty();
}

Router::Match Router::match(std::string_view method, std::string_view path, const Params& query,
                            const Headers* headers) const {
  Match m;
  Captures caps;
  auto satisfied = [&](const Route& r) {
    if (!r.needs_header.empty() && (!headers || !headers->contains(r.needs_header))) return false;
    return std::all_of(r.needs.begin(), r.needs.end(), [&](const std::string& n) { return query.contains(n); });
  };
  auto take = [&](const Route& r, Op op) {
    m.route = &r;
    m.op = op;
    m.params.assign(caps.v.begin(), caps.v.begin() + caps.n);
    size_t idx = 0;
    for (const auto& s : r.segments) {
      if (!s.capture) continue;
      if (idx >= caps.n) break;
      if (s.name == "ns" || s.name == "bucket" || s.name == "namespace") m.ns = caps.v[idx];
      else if (s.name == "key") m.key = caps.v[idx];
      ++idx;
    }
    return m;
  };
  const Route* get_fallback = nullptr;
  for (const Route& r : routes_) {
    if (r.method != method && !(method == "HEAD" && r.method == "GET" && !get_fallback)) continue;
    if (!match_path(r, path, caps) || !satisfied(r)) continue;
    if (r.method == method) return take(r, r.op);
    get_fallback = &r;
  }
  if (get_fallback) {
    match_path(*get_fallback, path, caps);
    auto svc = get_fallback->service;
    return take(*get_fallback, svc == Service::kv || svc == Service::r2 ? Op::head : get_fallback->op);
  }
  // Nothing for this method: which methods would the path take (405 with Allow, or 404)?
  for (const Route& r : routes_)
    if (match_path(r, path, caps) && std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
  return m;
}

void send_call_error(Call& c, const Error& e) {
  if (c.route && c.route->render_error) c.route->render_error(c.req, c.res, e);
  else send_error(c.res, e);
}

}  // namespace era::api
