#pragma once
// One error type for the whole emulator: a stable code (spelled on the wire exactly as in
// error_codes.def), an HTTP status, a human message in the real service's wording, and
// optional structured details. api/ turns it into {"error","code",...} once, at the boundary.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace era {

enum class Code {
#define ERA_ERROR(name, status, service, meaning) name,
#include "core/error_codes.def"
#undef ERA_ERROR
};

std::string_view to_string(Code code);
int default_status(Code code);
std::string_view service_of(Code code);
std::string_view meaning_of(Code code);

// Every code in table order (for docs generation and tests).
const std::vector<Code>& all_codes();

struct Error {
  Code code = Code::INTERNAL;
  int status = 500;
  std::string message;
  nlohmann::json details;  // null when absent

  Error() = default;
  Error(Code c, std::string msg) : code(c), status(default_status(c)), message(std::move(msg)) {}
  Error(Code c, int http_status, std::string msg)
      : code(c), status(http_status), message(std::move(msg)) {}

  Error&& with_details(nlohmann::json d) && {
    details = std::move(d);
    return std::move(*this);
  }
};

}  // namespace era
