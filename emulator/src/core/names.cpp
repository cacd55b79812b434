#include "core/names.h"

#include <string>

namespace era::core {

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<Error> validate_namespace(std::string_view name) {
  if (is_valid_name(name)) return std::nullopt;
  return Error(Code::INVALID_NAMESPACE,
               "invalid namespace \"" + std::string(name.substr(0, 80)) +
                   "\": use 1-63 characters of A-Z, a-z, 0-9, '_' and '-'");
}

}  // namespace era::core
