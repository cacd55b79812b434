// R2Bucket::sign_url: POST /api/signed-urls (docs/products.md, "Access and signed URLs").
#include "era/client/client.h"
#include "transport.h"

namespace era::client {

Result<SignedUrl> R2Bucket::sign_url(const std::string& key, const SignUrlOptions& o) const {
  json body = {{"bucket", ns_}, {"key", key}, {"method", o.method},
               {"expiresIn", o.expires_in}, {"oneTime", o.one_time}};
  if (o.content_type) body["contentType"] = *o.content_type;
  if (o.max_bytes) body["maxBytes"] = *o.max_bytes;
  auto j = c_->impl().call("POST", "/api/signed-urls", &body);
  if (!j) return std::unexpected(j.error());
  SignedUrl s;
  s.url = j->value("url", "");
  s.method = j->value("method", "");
  s.expires_at = j->value("expires_at", "");
  s.expires_ms = j->value("expires_ms", int64_t(0));
  s.one_time = j->value("one_time", false);
  if (auto it = j->find("headers"); it != j->end() && it->is_object())
    for (auto h = it->begin(); h != it->end(); ++h)
      if (h->is_string()) s.headers[h.key()] = h->get<std::string>();
  return s;
}

}  // namespace era::client
