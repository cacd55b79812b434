#include "app/products.h"

#include "kv/engine.h"
#include "r2/engine.h"

namespace era::app {

namespace {
constexpr int64_t kDayMs = int64_t(24) * 3600 * 1000;
}

Result<products::Catalog> load_products(const std::string& config_file, bool strict,
                                        const std::string& wrangler_env) {
  auto found = products::find_config(config_file);
  if (!found) return fail(found.error());
  products::Catalog catalog;
  if (*found) {
    auto loaded = products::load_catalog(**found, wrangler_env);
    if (!loaded) return fail(loaded.error());
    catalog = std::move(*loaded);
  } else if (!wrangler_env.empty()) {
    return fail(Error(Code::CONFIG_INVALID, "--wrangler-env " + wrangler_env +
                                                " needs a wrangler file: give --config wrangler.toml (or .jsonc)"));
  } else if (strict) {
    return fail(Error(Code::CONFIG_INVALID,
                      "--strict needs declarations: give --config FILE or put an era-emu.json (or a "
                      "wrangler.toml / wrangler.jsonc) in the working directory (without one every KV, "
                      "R2 and D1 call would be a 404)"));
  }
  catalog.strict = strict;
  return catalog;
}

Status apply_products(const products::Catalog& catalog, kv::Engine& kv, r2::Engine& r2) {
  for (const auto& k : catalog.kv) {
    if (!k.ttl_seconds && !k.propagation_delay_ms) continue;
    auto st = kv.set_namespace_options(k.name, {.default_ttl_s = k.ttl_seconds,
                                                 .propagation_delay_ms = k.propagation_delay_ms});
    if (!st) return fail(Error(Code::CONFIG_INVALID, catalog.source + ": kv \"" + k.name + "\": " + st.error().message));
  }
  for (const auto& b : catalog.buckets) {
    r2::BucketOptions o;
    if (b.delete_after_days) o.delete_after_ms = *b.delete_after_days * kDayMs;
    if (b.abort_multipart_after_days) o.upload_ttl_ms = *b.abort_multipart_after_days * kDayMs;
    o.max_object_bytes = b.max_object_size;
    r2.set_bucket_options(b.name, o);
  }
  return {};
}

}  // namespace era::app
