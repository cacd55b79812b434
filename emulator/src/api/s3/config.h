#pragma once
// Bucket CORS and lifecycle as S3 reads and writes them (Get/Put/DeleteBucketCors,
// Get/PutBucketLifecycleConfiguration), kept in the R2 engine's bucket record in R2's JSON
// shape, and the CORS rules every browser-facing path applies (/public/, /signed/, /s3).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/services.h"
#include "core/result.h"
#include "products/catalog.h"

namespace era::api::s3 {

// <CORSConfiguration> → [{"allowed": {"origins", "methods", "headers"}, "exposeHeaders", "maxAgeSeconds"}]
Result<nlohmann::json> cors_from_xml(std::string_view body);
std::string cors_to_xml(const nlohmann::json& rules);
// <LifecycleConfiguration> → [{"id", "enabled", "expireDays"?, "abortDays"?}] (bucket-wide rules
// only: a rule filtered by prefix or tag is S3_NOT_IMPLEMENTED, said plainly).
Result<nlohmann::json> lifecycle_from_xml(std::string_view body);
std::string lifecycle_to_xml(const nlohmann::json& rules);

// The CORS rules in force for a bucket: those set through S3 (PutBucketCors), else the ones
// declared in era-emu.json. Empty when none.
std::vector<products::CorsRule> bucket_cors(const Services& s, std::string_view bucket);

}  // namespace era::api::s3
