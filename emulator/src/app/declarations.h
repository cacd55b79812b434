#pragma once
// Run-time declarations (issue 15): POST /_emu/declarations adds buckets, KV stores, D1
// databases and secrets to the running emulator, validated exactly like era-emu.json (the same
// parser), so Layeron-shaped code can declare its stores at first use. Equal declarations are
// idempotent; a different one for a declared name is DECLARATION_CONFLICT (409). Accepted
// documents are kept in <data>/declarations.json and merged again at the next start (the
// config file wins), because an encrypted store must stay declared while it holds data.
//
// Secret references {"kind": "secret_ref", "name": N} ("secret:N") resolve, in order, to the
// document's "secrets" entry N ("env:…", "file:…", or {"random": {"bytes": B}}, generated once
// into <data>/secrets/N, mode 0600) or to the environment variable UPPER_SNAKE(N)
// ("vault-aes-key" → VAULT_AES_KEY).
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "products/catalog.h"

namespace era::store { class Lmdb; class Paths; }
namespace era::kv { class Engine; }
namespace era::r2 { class Engine; }
namespace era::d1 { class Engine; }
namespace era::core { class Clock; }

namespace era::app {

// "secret:N" references in `c` rewritten to "env:…"/"file:…" as above (generating random
// secrets that do not exist yet).
Status resolve_secret_refs(products::Catalog& c, const store::Paths& paths);

// At start, after the file's catalog is resolved: <data>/declarations.json merged into it entry
// by entry; an entry that conflicts with the file is skipped with a warning.
Status merge_persisted_declarations(products::Catalog& c, const store::Paths& paths);

class RuntimeDeclarations {
 public:
  struct Deps {
    const store::Paths& paths;
    store::Lmdb& lmdb;
    kv::Engine& kv;
    r2::Engine& r2;
    d1::Engine& d1;
    core::Clock& clock;
    products::Declarations& published;
  };
  explicit RuntimeDeclarations(Deps d) : d_(d) {}

  // The caller holds the state lock exclusively (no storage call in flight). Answers
  // {"declared": [{"service", "name", "identity", "status": "created" | "unchanged"}]}.
  Result<nlohmann::json> declare(const nlohmann::json& doc);

 private:
  Deps d_;
  std::mutex mu_;
};

}  // namespace era::app
