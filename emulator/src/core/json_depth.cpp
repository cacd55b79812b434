#include "core/json_depth.h"

#include <string>

namespace era::core {

Status check_json_depth(std::string_view text, const char* what) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return fail(Code::INVALID_JSON, std::string(what) + " nests arrays/objects deeper than " +
                                            std::to_string(kMaxJsonDepth) + " levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return {};
}

}  // namespace era::core
