#include "api/router.h"

#include <algorithm>

namespace era::api {

void Router::add(Route r) {
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
  routes_.push_back(std::move(r));
}

bool Router::match_path(const Route& r, std::string_view path, std::vector<std::string>& out) {
  out.clear();
  if (!path.starts_with('/')) return false;
  path.remove_prefix(1);
  for (size_t i = 0; i < r.segments.size(); ++i) {
    const auto& s = r.segments[i];
    if (s.rest) {
      if (path.empty()) return false;
      out.emplace_back(path);
      return true;
    }
    size_t slash = path.find('/');
    bool last = i + 1 == r.segments.size();
    std::string_view seg = path.substr(0, slash);
    if (s.capture) {
      if (seg.empty()) return false;
      out.emplace_back(seg);
    } else if (seg != s.literal) {
      return false;
    }
    if (last) return slash == std::string_view::npos;
    if (slash == std::string_view::npos) return false;
    path.remove_prefix(slash + 1);
  }
  return path.empty();
}

Router::Match Router::match(std::string_view method, std::string_view path, const Params& query) const {
  Match m;
  std::vector<std::string> params;
  auto satisfied = [&](const Route& r) {
    return std::all_of(r.needs.begin(), r.needs.end(), [&](const std::string& n) { return query.contains(n); });
  };
  auto take = [&](const Route& r) {
    m.route = &r;
    m.op = r.op;
    m.params = std::move(params);
    size_t idx = 0;
    for (const auto& s : r.segments) {
      if (!s.capture) continue;
      if (idx >= m.params.size()) break;
      if (s.name == "ns" || s.name == "bucket" || s.name == "namespace") m.ns = m.params[idx];
      else if (s.name == "key") m.key = m.params[idx];
      ++idx;
    }
    m.allowed.clear();
  };
  const Route* get_fallback = nullptr;
  for (const Route& r : routes_) {
    if (!match_path(r, path, params)) continue;
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
    if (!satisfied(r)) continue;
    if (r.method == method) {
      take(r);
      return m;
    }
    if (method == "HEAD" && r.method == "GET" && !get_fallback) get_fallback = &r;
  }
  if (get_fallback) {
    match_path(*get_fallback, path, params);
    take(*get_fallback);
    if (get_fallback->service == Service::kv || get_fallback->service == Service::r2) m.op = Op::head;
  }
  return m;
}

}  // namespace era::api
