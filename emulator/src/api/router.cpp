#include "api/router.h"

#include <algorithm>

namespace era::api {

void Router::add(Route r) {
  std::string_view p = r.pattern;
  if (p.starts_with('/')) p.remove_prefix(1);
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view seg = p.substr(0, slash);
    Route::Segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.capture = true;
      s.rest = seg.size() >= 3 && seg[seg.size() - 2] == '+';
    } else {
      s.literal = std::string(seg);
    }
    r.segments.push_back(std::move(s));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  routes_.push_back(std::move(r));
}

bool Router::match_route(const Route& r, std::string_view path, std::vector<std::string>& out) {
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

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::string> params;
  const Route* get_fallback = nullptr;
  std::vector<std::string> get_params;
  for (const Route& r : routes_) {
    if (!match_route(r, path, params)) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    if (method == "HEAD" && r.method == "GET" && !get_fallback) {
      get_fallback = &r;
      get_params = params;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
  }
  if (get_fallback) {
    m.route = get_fallback;
    m.params = std::move(get_params);
    m.allowed.clear();
  }
  return m;
}

}  // namespace era::api
