#pragma once
// XML in and out for the S3 endpoint. Out: a small writer for S3's response documents.
// In: request documents (CompleteMultipartUpload, Delete, CORSConfiguration,
// LifecycleConfiguration) parsed by Boost.PropertyTree's XML reader — no DTDs, no external
// entities — after a nesting-depth check, so a hostile document can neither recurse the parser
// into the ground nor reach a file.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace era::api::s3 {

class XmlWriter {
 public:
  XmlWriter() { out_ = R"(<?xml version="1.0" encoding="UTF-8"?>)"; }
  // <name xmlns="http://s3.amazonaws.com/doc/2006-03-01/"> for the document element.
  XmlWriter& root(std::string_view name);
  XmlWriter& open(std::string_view name);
  XmlWriter& close();
  XmlWriter& leaf(std::string_view name, std::string_view text);
  XmlWriter& leaf(std::string_view name, uint64_t n) { return leaf(name, std::to_string(n)); }
  XmlWriter& leaf_if(std::string_view name, const std::optional<std::string>& text) {
    return text ? leaf(name, *text) : *this;
  }
  std::string finish();

 private:
  std::string out_;
  std::vector<std::string> stack_;
};

std::string xml_escape(std::string_view s);

// A parsed element: name, text, children in order.
struct XmlNode {
  std::string name;
  std::string text;
  std::vector<XmlNode> children;
  const XmlNode* child(std::string_view n) const;
  std::vector<const XmlNode*> all(std::string_view n) const;
  std::optional<std::string> text_of(std::string_view n) const;
};

// The document element of `body` (named `root` when given): S3_MALFORMED_XML otherwise.
Result<XmlNode> parse_xml(std::string_view body, std::string_view root = {});

}  // namespace era::api::s3
