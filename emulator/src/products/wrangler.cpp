#include "products/wrangler.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/json_depth.h"
#include "core/names.h"
#include "products/jsonc.h"

namespace era::products {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxDepth = 64;  // nested arrays / inline tables

class Toml {
 public:
  Toml(std::string_view text, const std::string& file) : t_(text), file_(file) {}

  Result<json> parse() {
    json root = json::object();
    json* table = &root;
    for (;;) {
      ws_nl();
      if (eof()) return root;
      if (peek() == '[') {
        bool array = at(1) == '[';
        pos_ += array ? 2 : 1;
        auto keys = key();
        if (!keys) return fail(keys.error());
        ws();
        if (t_.substr(pos_, array ? 2 : 1) != (array ? "]]" : "]")) return bad("unclosed table header");
        pos_ += array ? 2 : 1;
        json* o = &root;
        for (size_t i = 0; i + 1 < keys->size(); ++i) {
          json& next = (*o)[(*keys)[i]];
          if (next.is_null()) next = json::object();
          if (next.is_array() && !next.empty() && next.back().is_object()) o = &next.back();
          else if (next.is_object()) o = &next;
          else return bad("key " + (*keys)[i] + " is not a table");
        }
        json& last = (*o)[keys->back()];
        if (array) {
          if (last.is_null()) last = json::array();
          if (!last.is_array()) return bad(joined(*keys) + " is not an array of tables");
          last.push_back(json::object());
          table = &last.back();
        } else {
          if (last.is_null()) last = json::object();
          if (!last.is_object()) return bad(joined(*keys) + " is already a value");
          table = &last;
        }
      } else {
        auto keys = key();
        if (!keys) return fail(keys.error());
        if (peek() != '=') return bad("expected = after " + joined(*keys));
        ++pos_;
        auto v = value(0);
        if (!v) return fail(v.error());
        if (auto st = set(*table, *keys, std::move(*v)); !st) return fail(st.error());
      }
      ws();
      if (peek() == '#') skip_comment();
      if (!eof() && peek() != '\n' && peek() != '\r') return bad("expected the end of the line");
    }
  }

 private:
  std::string_view t_;
  std::string file_;
  size_t pos_ = 0;
  size_t line_ = 1;

  bool eof() const { return pos_ >= t_.size(); }
  char peek() const { return eof() ? '\0' : t_[pos_]; }
  char at(size_t off) const { return pos_ + off < t_.size() ? t_[pos_ + off] : '\0'; }
  Error error(const std::string& what) const {
    return Error(Code::CONFIG_INVALID, file_ + ":" + std::to_string(line_) + ": " + what)
        .with_details({{"file", file_}, {"line", line_}});
  }
  std::unexpected<Error> bad(const std::string& what) const { return std::unexpected(error(what)); }
  static std::string joined(const std::vector<std::string>& keys) {
    std::string s;
    for (const auto& k : keys) s += (s.empty() ? "" : ".") + k;
    return s;
  }
  void ws() {
    while (!eof() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_comment() {
    while (!eof() && peek() != '\n') ++pos_;
  }
  void ws_nl() {
    for (;;) {
      ws();
      if (peek() == '#') skip_comment();
      if (peek() == '\n') ++line_, ++pos_;
      else if (peek() == '\r') ++pos_;
      else return;
    }
  }

  Result<std::vector<std::string>> key() {
    std::vector<std::string> parts;
    for (;;) {
      ws();
      if (peek() == '"' || peek() == '\'') {
        auto s = string();
        if (!s) return fail(s.error());
        parts.push_back(std::move(*s));
      } else {
        size_t start = pos_;
        while (!eof() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '-')) ++pos_;
        if (start == pos_) return bad("expected a key at \"" + std::string(t_.substr(pos_, 20)) + "\"");
        parts.emplace_back(t_.substr(start, pos_ - start));
      }
      ws();
      if (peek() != '.') return parts;
      ++pos_;
    }
  }

  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) out += char(cp);
    else if (cp < 0x800) out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
    else if (cp < 0x10000)
      out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    else
      out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F)),
          out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  }

  Result<std::string> string() {
    char q = peek();
    bool triple = t_.substr(pos_, 3) == std::string(3, q);
    pos_ += triple ? 3 : 1;
    if (triple && peek() == '\n') ++pos_, ++line_;
    else if (triple && t_.substr(pos_, 2) == "\r\n") pos_ += 2, ++line_;
    std::string s;
    for (;;) {
      if (eof()) return bad("unterminated string");
      if (triple ? t_.substr(pos_, 3) == std::string(3, q) : peek() == q) {
        pos_ += triple ? 3 : 1;
        return s;
      }
      char c = peek();
      if (c == '\n') {
        if (!triple) return bad("newline in a string (use \"\"\" for multi-line strings)");
        ++line_;
      }
      if (c == '\\' && q == '"') {
        char e = at(1);
        switch (e) {
          case 'n': s += '\n'; break;
          case 't': s += '\t'; break;
          case 'r': s += '\r'; break;
          case 'b': s += '\b'; break;
          case 'f': s += '\f'; break;
          case '"': s += '"'; break;
          case '\\': s += '\\'; break;
          case 'u':
          case 'U': {
            size_t n = e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            auto hex = t_.substr(pos_ + 2, n);
            auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), cp, 16);
            if (ec != std::errc() || p != hex.data() + hex.size() || hex.size() != n || cp > 0x10FFFF ||
                (cp >= 0xD800 && cp <= 0xDFFF))
              return bad("bad \\" + std::string(1, e) + " escape");
            utf8(s, cp);
            pos_ += n;
            break;
          }
          default:
            if (triple && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {  // line-ending backslash
              ++pos_;
              while (!eof() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
                line_ += peek() == '\n', ++pos_;
              continue;
            }
            return bad("bad escape \\" + std::string(1, e));
        }
        pos_ += 2;
        continue;
      }
      s += c;
      ++pos_;
    }
  }

  Result<json> value(size_t depth) {
    if (depth > kMaxDepth) return bad("values nested deeper than " + std::to_string(kMaxDepth));
    ws();
    char c = peek();
    if (c == '"' || c == '\'') {
      auto s = string();
      if (!s) return fail(s.error());
      return json(std::move(*s));
    }
    if (c == '[') {
      ++pos_;
      json arr = json::array();
      for (;;) {
        ws_nl();
        if (peek() == ']') return ++pos_, arr;
        auto v = value(depth + 1);
        if (!v) return fail(v.error());
        arr.push_back(std::move(*v));
        ws_nl();
        if (peek() == ',') ++pos_;
        else if (peek() != ']') return bad("expected , or ] in an array");
      }
    }
    if (c == '{') {
      ++pos_;
      json obj = json::object();
      for (;;) {
        ws();
        if (peek() == '}') return ++pos_, obj;
        auto k = key();
        if (!k) return fail(k.error());
        if (peek() != '=') return bad("expected = in an inline table");
        ++pos_;
        auto v = value(depth + 1);
        if (!v) return fail(v.error());
        if (auto st = set(obj, *k, std::move(*v)); !st) return fail(st.error());
        ws();
        if (peek() == ',') ++pos_;
        else if (peek() != '}') return bad("expected , or } in an inline table");
      }
    }
    size_t start = pos_;
    while (!eof() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '+' ||
                      peek() == '-' || peek() == '.' || peek() == ':'))
      ++pos_;
    std::string tok(t_.substr(start, pos_ - start));
    if (tok == "true") return json(true);
    if (tok == "false") return json(false);
    if (tok == "inf" || tok == "+inf" || tok == "-inf" || tok == "nan" || tok == "+nan" || tok == "-nan")
      return bad("inf and nan cannot be used here");
    std::string digits;
    for (char d : tok)
      if (d != '_') digits += d;
    bool neg = !digits.empty() && digits[0] == '-';
    std::string_view body = digits;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
    int base = 10;
    if (body.starts_with("0x")) base = 16;
    else if (body.starts_with("0o")) base = 8;
    else if (body.starts_with("0b")) base = 2;
    if (base != 10) body.remove_prefix(2);
    if (!body.empty()) {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), n, base);
      if (ec == std::errc() && p == body.data() + body.size()) return json(neg ? -n : n);
      if (base == 10) {
        double d = 0;
        auto [p2, ec2] = std::from_chars(digits.data() + (digits[0] == '+'), digits.data() + digits.size(), d);
        if (ec2 == std::errc() && p2 == digits.data() + digits.size() && std::isfinite(d)) return json(d);
      }
    }
    // Offset/local date-times, dates and times (1979-05-27T07:32:00Z, 1979-05-27, 07:32:00) are
    // kept as their text: wrangler's own fields are strings, and a date era-emu does not use must
    // not stop it from starting.
    static const std::regex kDateTime(
        R"(\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}(:\d{2}(\.\d+)?)?)");
    if (std::regex_match(tok, kDateTime)) return json(tok);
    return bad("unsupported value \"" + std::string(t_.substr(start, std::max<size_t>(pos_ - start, 20))) + "\"");
  }

  Status set(json& obj, const std::vector<std::string>& keys, json v) {
    json* o = &obj;
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
      json& next = (*o)[keys[i]];
      if (next.is_null()) next = json::object();
      if (!next.is_object()) return fail(error("key " + keys[i] + " is not a table"));
      o = &next;
    }
    if (o->contains(keys.back())) return fail(error("key " + joined(keys) + " defined twice"));
    (*o)[keys.back()] = std::move(v);
    return {};
  }
};

// JSONC's trailing commas (wrangler.jsonc allows them) blanked outside strings.
std::string drop_trailing_commas(std::string s) {
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == ',') {
      size_t j = s.find_first_not_of(" \t\r\n", i + 1);
      if (j != std::string::npos && (s[j] == '}' || s[j] == ']')) s[i] = ' ';
    }
  }
  return s;
}

}  // namespace

Result<json> parse_toml(std::string_view text, const std::string& file) { return Toml(text, file).parse(); }

Result<json> read_wrangler(const std::string& path, const std::string& environment) {
  auto invalid = [&](const std::string& msg) {
    return fail(Error(Code::CONFIG_INVALID, path + ": " + msg).with_details({{"file", path}, {"problems", {path + ": " + msg}}}));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid("cannot open the file (check the path given with --config)");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  json config;
  if (fs::path(path).extension() == ".toml") {
    auto t = parse_toml(text, path);
    if (!t) return fail(t.error());
    config = std::move(*t);
  } else {
    auto stripped = strip_json_comments(text);
    if (!stripped) return invalid(stripped.error().message);
    std::string clean = drop_trailing_commas(std::move(*stripped));
    if (auto deep = core::check_json_depth(clean, "the file"); !deep) return invalid(deep.error().message);
    config = json::parse(clean, nullptr, false);
    if (config.is_discarded()) return invalid("not valid JSON with comments");
  }
  if (!config.is_object()) return invalid("the top level must be an object");
  if (!environment.empty()) {
    auto envs = config.find("env");
    if (envs == config.end() || !envs->is_object() || !envs->contains(environment))
      return invalid("has no environment \"" + environment + "\" ([env." + environment + "])");
    json chosen = (*envs)[environment];
    if (!chosen.is_object()) return invalid("env." + environment + " must be a table");
    // wrangler: bindings and vars are not inherited from the top level.
    for (const char* k : {"kv_namespaces", "r2_buckets", "d1_databases", "vars"}) config.erase(k);
    config.update(chosen);
  }
  const fs::path base = fs::absolute(path).parent_path();
  json out = {{"kv", json::array()}, {"buckets", json::array()}, {"d1", json::array()}};
  std::vector<std::string> problems;
  // section, era-emu section, name candidates in order
  struct Kind {
    const char* key;
    const char* section;
    std::vector<const char*> names;
  };
  const Kind kinds[] = {{"kv_namespaces", "kv", {"id", "binding"}},
                        {"r2_buckets", "buckets", {"bucket_name", "binding"}},
                        {"d1_databases", "d1", {"database_name", "database_id", "binding"}}};
  for (const auto& kind : kinds) {
    auto list = config.find(kind.key);
    if (list == config.end()) continue;
    if (!list->is_array()) {
      problems.push_back(path + ": " + kind.key + ": must be an array of tables ([[" + kind.key + "]])");
      continue;
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const json& b = (*list)[i];
      std::string where = path + ": " + kind.key + "[" + std::to_string(i) + "]";
      if (!b.is_object()) {
        problems.push_back(where + ": must be a table with a \"binding\"");
        continue;
      }
      std::string name;
      for (const char* c : kind.names)
        if (auto v = b.find(c); v != b.end() && v->is_string() && core::is_valid_name(v->get<std::string>())) {
          name = v->get<std::string>();
          break;
        }
      if (name.empty()) {
        std::string tried;
        for (const char* c : kind.names) tried += (tried.empty() ? "" : ", ") + std::string(c) + "=" + shown(b.value(c, json()));
        problems.push_back(where + ": names no usable store (" + tried +
                           "); era-emu needs one of them to be 1-63 of A-Z a-z 0-9 _ -");
        continue;
      }
      json& sec = out[kind.section];
      if (std::any_of(sec.begin(), sec.end(), [&](const json& e) { return e["name"] == name; })) continue;
      json entry = {{"name", name}};
      if (std::string(kind.section) == "d1") {
        std::string dir = b.value("migrations_dir", std::string());
        fs::path p = (base / (dir.empty() ? "migrations" : dir)).lexically_normal();
        std::error_code ec;
        if (!dir.empty() || fs::is_directory(p, ec)) entry["migrations"] = p.string();
        if (auto t = b.find("migrations_table"); t != b.end()) entry["migrationsTable"] = *t;
      }
      sec.push_back(std::move(entry));
    }
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
    return fail(Error(Code::CONFIG_INVALID, msg).with_details({{"file", path}, {"problems", problems}}));
  }
  return out;
}

}  // namespace era::products
