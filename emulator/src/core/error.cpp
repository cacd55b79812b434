#include "core/error.h"

namespace era {
namespace {
struct Row {
  std::string_view name;
  int status;
  std::string_view service;
  std::string_view meaning;
};
constexpr Row kRows[] = {
#define ERA_ERROR(name, status, service, meaning) {#name, status, #service, meaning},
#include "core/error_codes.def"
#undef ERA_ERROR
};
}  // namespace

std::string_view to_string(Code code) { return kRows[static_cast<int>(code)].name; }
int default_status(Code code) { return kRows[static_cast<int>(code)].status; }
std::string_view service_of(Code code) { return kRows[static_cast<int>(code)].service; }
std::string_view meaning_of(Code code) { return kRows[static_cast<int>(code)].meaning; }

const std::vector<Code>& all_codes() {
  static const std::vector<Code> codes = [] {
    std::vector<Code> v;
    for (size_t i = 0; i < std::size(kRows); ++i) v.push_back(static_cast<Code>(i));
    return v;
  }();
  return codes;
}

}  // namespace era
