#include "api/s3/config.h"

#include <charconv>

#include "api/s3/xml.h"
#include "core/names.h"
#include "r2/engine.h"

namespace era::api::s3 {
namespace {

using json = nlohmann::json;

constexpr std::string_view kMethods[] = {"GET", "PUT", "POST", "DELETE", "HEAD"};

Error malformed(std::string why) {
  return Error(Code::S3_MALFORMED_XML,
               "The XML you provided was not well-formed or did not validate against our published schema: " + why);
}

std::vector<std::string> texts(const XmlNode& n, std::string_view name) {
  std::vector<std::string> out;
  for (const auto* c : n.all(name)) out.push_back(c->text);
  return out;
}

std::optional<int64_t> number(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || p != s->data() + s->size()) return std::nullopt;
  return v;
}

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

Result<json> cors_from_xml(std::string_view body) {
  auto doc = parse_xml(body, "CORSConfiguration");
  if (!doc) return fail(doc.error());
  json rules = json::array();
  auto list = doc->all("CORSRule");
  if (list.empty()) return fail(malformed("a CORSConfiguration needs at least one <CORSRule>"));
  if (list.size() > 100) return fail(malformed("at most 100 CORS rules"));
  for (const auto* r : list) {
    auto origins = texts(*r, "AllowedOrigin");
    auto methods = texts(*r, "AllowedMethod");
    if (origins.empty() || methods.empty())
      return fail(malformed("each <CORSRule> needs an <AllowedOrigin> and an <AllowedMethod>"));
    for (const auto& m : methods)
      if (std::find(std::begin(kMethods), std::end(kMethods), m) == std::end(kMethods))
        return fail(Error(Code::S3_INVALID_REQUEST, "Found unsupported HTTP method in CORS config. Unsupported method is " +
                                                        m.substr(0, 20)));
    json rule = {{"allowed", {{"origins", origins}, {"methods", methods}, {"headers", texts(*r, "AllowedHeader")}}}};
    auto expose = texts(*r, "ExposeHeader");
    if (!expose.empty()) rule["exposeHeaders"] = expose;
    if (auto age = r->text_of("MaxAgeSeconds")) {
      auto v = number(age);
      if (!v || *v < 0) return fail(malformed("<MaxAgeSeconds> must be a non-negative integer"));
      rule["maxAgeSeconds"] = *v;
    }
    if (auto id = r->text_of("ID")) rule["id"] = *id;
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::string cors_to_xml(const json& rules) {
  XmlWriter w;
  w.root("CORSConfiguration");
  for (const auto& r : rules) {
    w.open("CORSRule");
    if (r.contains("id") && r["id"].is_string()) w.leaf("ID", r["id"].get<std::string>());
    const json& a = r.contains("allowed") ? r["allowed"] : json::object();
    for (const auto& o : strings(a.value("origins", json()))) w.leaf("AllowedOrigin", o);
    for (const auto& m : strings(a.value("methods", json()))) w.leaf("AllowedMethod", m);
    for (const auto& h : strings(a.value("headers", json()))) w.leaf("AllowedHeader", h);
    for (const auto& h : strings(r.value("exposeHeaders", json()))) w.leaf("ExposeHeader", h);
    if (r.contains("maxAgeSeconds") && r["maxAgeSeconds"].is_number_integer())
      w.leaf("MaxAgeSeconds", std::to_string(r["maxAgeSeconds"].get<int64_t>()));
    w.close();
  }
  return w.finish();
}

Result<json> lifecycle_from_xml(std::string_view body) {
  auto doc = parse_xml(body, "LifecycleConfiguration");
  if (!doc) return fail(doc.error());
  json rules = json::array();
  for (const auto* r : doc->all("Rule")) {
    json rule = json::object();
    rule["id"] = r->text_of("ID").value_or("");
    auto status = r->text_of("Status");
    if (!status || (*status != "Enabled" && *status != "Disabled"))
      return fail(malformed("each <Rule> needs <Status>Enabled</Status> or <Status>Disabled</Status>"));
    rule["enabled"] = *status == "Enabled";
    std::string prefix = r->text_of("Prefix").value_or("");
    if (const XmlNode* f = r->child("Filter")) {
      if (f->child("Tag") || f->child("And") || f->child("ObjectSizeGreaterThan") || f->child("ObjectSizeLessThan"))
        return fail(Error(Code::S3_NOT_IMPLEMENTED, "era-emu applies bucket-wide lifecycle rules only: a <Filter> "
                                                    "with tags or sizes is not implemented"));
      prefix = f->text_of("Prefix").value_or(prefix);
    }
    if (!prefix.empty())
      return fail(Error(Code::S3_NOT_IMPLEMENTED, "era-emu applies bucket-wide lifecycle rules only: the rule \"" +
                                                      rule["id"].get<std::string>().substr(0, 60) +
                                                      "\" filters by prefix \"" + prefix.substr(0, 60) + "\""));
    if (const XmlNode* e = r->child("Expiration")) {
      if (e->child("Date"))
        return fail(Error(Code::S3_NOT_IMPLEMENTED, "era-emu applies <Expiration><Days> only, not <Date>"));
      auto days = number(e->text_of("Days"));
      if (!days || *days < 1) return fail(malformed("<Expiration><Days> must be a whole number of days >= 1"));
      rule["expireDays"] = *days;
    }
    if (const XmlNode* a = r->child("AbortIncompleteMultipartUpload")) {
      auto days = number(a->text_of("DaysAfterInitiation"));
      if (!days || *days < 1) return fail(malformed("<DaysAfterInitiation> must be a whole number of days >= 1"));
      rule["abortDays"] = *days;
    }
    if (!rule.contains("expireDays") && !rule.contains("abortDays"))
      return fail(malformed("a <Rule> needs <Expiration><Days> or <AbortIncompleteMultipartUpload>"));
    rules.push_back(std::move(rule));
  }
  if (rules.empty()) return fail(malformed("a LifecycleConfiguration needs at least one <Rule>"));
  if (rules.size() > 1000) return fail(malformed("at most 1000 lifecycle rules"));
  return rules;
}

std::string lifecycle_to_xml(const json& rules) {
  XmlWriter w;
  w.root("LifecycleConfiguration");
  for (const auto& r : rules) {
    w.open("Rule").leaf("ID", r.value("id", "")).open("Filter").leaf("Prefix", "").close();
    w.leaf("Status", r.value("enabled", false) ? "Enabled" : "Disabled");
    if (r.contains("expireDays")) w.open("Expiration").leaf("Days", std::to_string(r["expireDays"].get<int64_t>())).close();
    if (r.contains("abortDays"))
      w.open("AbortIncompleteMultipartUpload")
          .leaf("DaysAfterInitiation", std::to_string(r["abortDays"].get<int64_t>()))
          .close();
    w.close();
  }
  return w.finish();
}

std::vector<products::CorsRule> bucket_cors(const Services& s, std::string_view bucket) {
  if (s.r2 && !core::validate_namespace(bucket)) {
    auto stored = s.r2->bucket_config(bucket, "cors");
    if (stored && stored->is_array()) {
      std::vector<products::CorsRule> out;
      for (const auto& r : *stored) {
        products::CorsRule rule;
        const json& a = r.contains("allowed") ? r["allowed"] : json::object();
        rule.origins = strings(a.value("origins", json()));
        rule.methods = strings(a.value("methods", json()));
        rule.headers = strings(a.value("headers", json()));
        rule.expose = strings(r.value("exposeHeaders", json()));
        if (r.contains("maxAgeSeconds") && r["maxAgeSeconds"].is_number_integer())
          rule.max_age_seconds = r["maxAgeSeconds"].get<int64_t>();
        out.push_back(std::move(rule));
      }
      return out;
    }
  }
  if (s.catalog)
    if (const auto* b = s.catalog->get()->bucket(bucket)) return b->cors;
  return {};
}

}  // namespace era::api::s3
