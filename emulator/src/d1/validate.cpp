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
    case T::number_unsigned: {
      uint64_t n = v.get<uint64_t>();
      if (n > static_cast<uint64_t>(kMaxSafeInteger)) return fail(errors::type_error("bigint", v.dump()));
      return Value(static_cast<int64_t>(n));
    }
    case T::number_integer: {
      int64_t n = v.get<int64_t>();
      if (n > kMaxSafeInteger || n < -kMaxSafeInteger)
        return fail(errors::type_error("bigint", v.dump()));
      return Value(n);
    }
    case T::number_float: {
      double d = v.get<double>();
      // JSON cannot tell 3.0 from 3; JavaScript cannot either, and D1 binds it as INTEGER.
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= double(kMaxSafeInteger))
        return Value(static_cast<int64_t>(d));
      return Value(d);
    }
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
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Blob>(&v)) {
    nlohmann::json arr = nlohmann::json::array();
    for (uint8_t c : b->bytes) arr.push_back(c);
    return arr;
  }
  return nullptr;
}

}  // namespace era::d1
