#include "d1/validate.h"

#include <cmath>

#include "d1/errors.h"

namespace era::d1 {

using store::sqlite::Blob;
using store::sqlite::Value;

std::string js_string(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::string: return v.get<std::string>();
    case nlohmann::json::value_t::object: return "[object Object]";
    case nlohmann::json::value_t::array: {
      // Array.prototype.toString: elements joined by ",", null/undefined as "".
      std::string out;
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        if (!e.is_null()) out += js_string(e);
      }
      return out;
    }
    default: return v.dump();
  }
}

namespace {

bool is_byte(const nlohmann::json& e) {
  if (e.is_number_unsigned()) return e.get<uint64_t>() <= 255;
  if (e.is_number_integer()) {
    int64_t n = e.get<int64_t>();
    return n >= 0 && n <= 255;
  }
  if (e.is_number_float()) {
    double d = e.get<double>();
    return d >= 0 && d <= 255 && std::floor(d) == d;
  }
  return false;
}

}  // namespace

Result<Value> to_value(const nlohmann::json& v) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null: return Value(nullptr);
    case T::boolean: return Value(int64_t(v.get<bool>() ? 1 : 0));
    case T::string: return Value(v.get<std::string>());
    // Every JSON number binds as REAL, as a JavaScript number does through the D1 binding
    // (workerd: typeof(?) of 3 is 'real'; D1's type table: Number → REAL). An integer literal
    // beyond 2^53 becomes the nearest double, as JSON.parse would make it (issue 18, item 5).
    case T::number_unsigned: return Value(static_cast<double>(v.get<uint64_t>()));
    case T::number_integer: return Value(static_cast<double>(v.get<int64_t>()));
    case T::number_float: return Value(v.get<double>());
    case T::array: {
      Blob b;
      b.bytes.reserve(v.size());
      for (const auto& e : v) {
        if (!is_byte(e)) return fail(errors::type_error("object", js_string(v)));
        b.bytes.push_back(static_cast<uint8_t>(e.get<double>()));
      }
      return Value(std::move(b));
    }
    case T::binary: {
      Blob b;
      b.bytes.assign(v.get_binary().begin(), v.get_binary().end());
      return Value(std::move(b));
    }
    default: return fail(errors::type_error("object", js_string(v)));
  }
}

Result<std::vector<Value>> to_values(const nlohmann::json& params) {
  std::vector<Value> out;
  if (params.is_null()) return out;
  out.reserve(params.size());
  for (const auto& p : params) {
    auto v = to_value(p);
    if (!v) return fail(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

nlohmann::json to_json(const Value& v) {
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* d = std::get_if<double>(&v)) {
    // As JSON.stringify writes a number (what the original proxy sent): an integral value has no
    // ".0" (3.0 → 3). Past int64 the double stays a double.
    if (std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9.2e18) return static_cast<int64_t>(*d);
    return *d;
  }
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Blob>(&v)) {
    nlohmann::json arr = nlohmann::json::array();
    for (uint8_t c : b->bytes) arr.push_back(c);
    return arr;
  }
  return nullptr;
}

}  // namespace era::d1
