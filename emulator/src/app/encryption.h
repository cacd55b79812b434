#pragma once
// Encryption at rest at start (issue 8; docs/products.md "## Encryption at rest").
//
// For every declared KV store and bucket with "encryption": {"secret": "env:NAME" | "file:PATH"}:
//   1. resolve the secret (products/secrets.h; relative files against the config's folder);
//   2. derive the store's AES-256 key: HKDF-SHA256(secret, salt, "era-emu encryption-at-rest v1"
//      \0 service \0 name), the 32-byte salt random per store and kept in the LMDB `sys` table;
//   3. check the key: the same sys row keeps a known token sealed with the key at first use; a
//      secret that does not open it stops start-up (ENCRYPTION_KEY_MISMATCH) — no silent garbage;
//   4. install the cipher in the engine (kv::Engine::set_namespace_cipher,
//      r2::Engine::set_bucket_cipher).
// A store that holds encrypted data but is no longer declared encrypted stops start-up too
// (ENCRYPTION_SECRET_MISSING); one with a key-check row but no encrypted data left forgets it.
// Must run before anything writes (seeds, serving).
#include "core/result.h"
#include "products/catalog.h"

namespace era::store { class Lmdb; }
namespace era::kv { class Engine; }
namespace era::r2 { class Engine; }

namespace era::app {

// `whole` (start-up): `catalog` is every declaration, so stores it does not declare encrypted
// are checked as above. Run-time declarations pass only the new entries and whole = false.
Status apply_encryption(const products::Catalog& catalog, store::Lmdb& lmdb, kv::Engine& kv,
                        r2::Engine& r2, bool whole = true);

}  // namespace era::app
