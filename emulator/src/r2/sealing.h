#pragma once
// Encryption at rest for R2 records (issue 8). Bodies: r2/sealed_body.h. Here: the metadata a
// sealed object record and a multipart upload record keep in LMDB.
//
// Object record (v2, r2/object.h): http + custom metadata are sealed with associated data
//   "era-r2-meta\0" bucket \0 key \0 blob id \0 version \0 etag \0 u64 size
// so a record moved to another key, pointed at another blob, or given another size fails to
// open; opening it is part of every read that returns metadata or a body (get, head, list).
// Stay readable: size, etag, checksums (digests of the plaintext), timestamps, blob id and
// version — the engine needs them without the key (conditionals, lifecycle, orphan sweep).
//
// Upload record: {"sealed": base64(seal(json{http, custom}))} replaces "http" and "custom", with
// associated data "era-r2-upload\0" bucket \0 key \0 upload id; each part entry carries
// "sealed": true when its blob is a sealed body.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/aead.h"
#include "core/result.h"
#include "r2/object.h"

namespace era::r2 {

// Sets m.sealed and m.sealed_meta from m.http / m.custom (m.key, blob, version, etag, size set).
void seal_object_meta(const core::Aead& aead, std::string_view bucket, ObjectMeta& m);
// Fills m.http / m.custom from m.sealed_meta (m.key set). A no-op for a plain record.
// ENCRYPTION_SECRET_MISSING without a cipher, DATA_CORRUPTED when it fails to open.
Status open_object_meta(const core::Aead* aead, std::string_view bucket, ObjectMeta& m);

std::string seal_upload_meta(const core::Aead& aead, std::string_view bucket, std::string_view key,
                             std::string_view upload_id, const nlohmann::json& meta);
Result<nlohmann::json> open_upload_meta(const core::Aead* aead, std::string_view bucket,
                                        std::string_view key, std::string_view upload_id,
                                        std::string_view sealed_b64);

Error no_cipher(std::string_view bucket);

}  // namespace era::r2
