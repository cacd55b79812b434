#include "api/s3/xml.h"

#include <sstream>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

namespace era::api::s3 {
namespace {

constexpr int kMaxDepth = 16;

// Rejects documents nested deeper than kMaxDepth before the (recursive) parser sees them.
bool shallow_enough(std::string_view s) {
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<' || i + 1 >= s.size()) continue;
    char c = s[i + 1];
    if (c == '/') {
      --depth;
    } else if (c != '?' && c != '!') {
      size_t end = s.find('>', i);
      if (end == std::string_view::npos) return true;  // the parser reports it
      if (s[end - 1] != '/' && ++depth > kMaxDepth) return false;
      i = end;
    }
  }
  return true;
}

XmlNode convert(const std::string& name, const boost::property_tree::ptree& t) {
  XmlNode n;
  n.name = name;
  n.text = t.data();
  for (const auto& [k, v] : t) {
    if (k == "<xmlattr>" || k == "<xmlcomment>") continue;
    n.children.push_back(convert(k, v));
  }
  return n;
}

}  // namespace

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 cannot carry most control characters even escaped as entities; S3 answers
        // such keys only with encoding-type=url. Carry them as character references anyway.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          static const char* hex = "0123456789ABCDEF";
          out += "&#x";
          out += hex[c >> 4];
          out += hex[c & 15];
          out += ';';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

XmlWriter& XmlWriter::root(std::string_view name) {
  out_ += '<';
  out_ += name;
  out_ += R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)";
  stack_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::open(std::string_view name) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  stack_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::close() {
  out_ += "</";
  out_ += stack_.back();
  out_ += '>';
  stack_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::leaf(std::string_view name, std::string_view text) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  out_ += xml_escape(text);
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

std::string XmlWriter::finish() {
  while (!stack_.empty()) close();
  return std::move(out_);
}

const XmlNode* XmlNode::child(std::string_view n) const {
  for (const auto& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::vector<const XmlNode*> XmlNode::all(std::string_view n) const {
  std::vector<const XmlNode*> out;
  for (const auto& c : children)
    if (c.name == n) out.push_back(&c);
  return out;
}

std::optional<std::string> XmlNode::text_of(std::string_view n) const {
  const XmlNode* c = child(n);
  if (!c) return std::nullopt;
  return c->text;
}

Result<XmlNode> parse_xml(std::string_view body, std::string_view root) {
  auto malformed = [](std::string why) {
    return Error(Code::S3_MALFORMED_XML,
                 "The XML you provided was not well-formed or did not validate against our published schema: " + why);
  };
  if (body.empty()) return fail(malformed("the body is empty"));
  if (!shallow_enough(body)) return fail(malformed("elements nest deeper than 16 levels"));
  boost::property_tree::ptree tree;
  try {
    std::istringstream in{std::string(body)};
    boost::property_tree::read_xml(in, tree, boost::property_tree::xml_parser::trim_whitespace);
  } catch (const std::exception& e) {
    return fail(malformed(e.what()));
  }
  const boost::property_tree::ptree* doc = nullptr;
  std::string name;
  for (const auto& [k, v] : tree) {
    if (k == "<xmlcomment>") continue;
    if (doc) return fail(malformed("more than one document element"));
    doc = &v;
    name = k;
  }
  if (!doc) return fail(malformed("no document element"));
  if (!root.empty() && name != root)
    return fail(malformed("the document element is <" + name + ">, expected <" + std::string(root) + ">"));
  return convert(name, *doc);
}

}  // namespace era::api::s3
