#pragma once
// Who may talk to the emulator, decided from the request head before any body byte is read:
//
//   Host     must name this server: an IP literal (a DNS-rebinding attack always arrives with
//            its own host *name*), "localhost" or "*.localhost", or an --allow-host value
//            ("*" allows any). HTTP/1.1 without Host → 400.
//   Origin   a browser request from another origin to the storage, R2, resources or control
//            routes is refused with 403 before any work: an Origin header other than this
//            server's own origin or an --cors-origin value, or Sec-Fetch-Site: cross-site.
//            Allowed origins get CORS headers and answers to preflight OPTIONS.
//   links    /public/ and /signed/ are made for browsers: any origin may use them, and CORS
//            headers and preflight answers follow the bucket's "cors" rules (R2's rule shape).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/error.h"
#include "products/catalog.h"

namespace era::api {

struct BoundaryPolicy {
  std::vector<std::string> allowed_hosts;  // --allow-host; "*" = any
  std::vector<std::string> cors_origins;   // --cors-origin; "*" = any
};

// The host part of a Host header value ("[::1]:8787" → "[::1]", "Example.COM." → "example.com").
std::string host_of(std::string_view host_header);

// Null when the Host header is acceptable.
std::optional<Error> check_host(const Request& req, const BoundaryPolicy& policy);

// For the API routes (everything but /public/ and /signed/): null when the request is not a
// cross-origin browser request, or comes from an allowed origin (then `cors_origin` is set to
// the origin to echo in Access-Control-Allow-Origin).
std::optional<Error> check_origin(const Request& req, const BoundaryPolicy& policy, std::string& cors_origin);

// CORS response headers for an allowed API origin.
void add_api_cors(Response& res, const std::string& origin);
// Answers a preflight OPTIONS for an allowed API origin (204 with Allow-* headers).
void answer_api_preflight(const Request& req, Response& res, const std::string& origin);

// The bucket rule that allows this origin and method (with these request headers), if any.
const products::CorsRule* match_cors(const std::vector<products::CorsRule>& rules, std::string_view origin,
                                     std::string_view method, std::string_view request_headers);
// A preflight to a public or signed link of a bucket with these rules: 204 with the rule's
// headers, or 403 when no rule allows it (R2's answer).
void answer_link_preflight(const Request& req, Response& res, const std::vector<products::CorsRule>& rules);
// On an actual request from a browser (Origin set) to a link: the rule's CORS headers, if a rule allows it.
void add_link_cors(const Request& req, Response& res, const std::vector<products::CorsRule>& rules);

}  // namespace era::api
