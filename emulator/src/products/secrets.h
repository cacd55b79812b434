#pragma once
// Resolves an encryption secret reference from era-emu.json (issue 8) to the secret's bytes:
//   "env:NAME"  — the environment variable NAME, used as-is;
//   "file:PATH" — the file's bytes, one trailing newline (\n or \r\n) removed; a relative PATH is
//                 resolved against `base_dir` (the config file's folder).
// A secret must hold at least kMinSecretBytes bytes (it is key material for HKDF-SHA256; use 32
// random bytes, e.g. `openssl rand -base64 32`).
// Failures are ENCRYPTION_SECRET_MISSING with a message naming the store and the reference, e.g.
// "bucket avatars: env:AVATARS_KEY is not set". The secret never appears in a message.
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace era::products {

inline constexpr size_t kMinSecretBytes = 16;

// `owner` names the store in messages: "bucket avatars", "kv store sessions".
Result<std::string> resolve_secret(std::string_view ref, const std::filesystem::path& base_dir,
                                   std::string_view owner);

}  // namespace era::products
