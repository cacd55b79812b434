#include "products/jsonc.h"

namespace era::products {

Result<std::string> strip_json_comments(std::string_view text) {
  std::string out(text);
  size_t line = 1;
  bool in_string = false;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '/' || i + 1 >= out.size()) continue;
    if (out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
      --i;  // let the loop see the newline (and count it)
    } else if (out[i + 1] == '*') {
      size_t start_line = line;
      size_t end = out.find("*/", i + 2);
      if (end == std::string::npos)
        return fail(Code::BAD_REQUEST, "unterminated /* comment starting on line " +
                                           std::to_string(start_line) + ": close it with */");
      for (size_t j = i; j < end + 2; ++j) {
        if (out[j] == '\n') ++line;
        else out[j] = ' ';
      }
      i = end + 1;
    }
  }
  return out;
}

std::string shown(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace era::products
