#pragma once
// What HTTP handlers may call: the engines and whole-emulator operations, never a store.
// Owned by app::Emulator; outlives the server.
#include <cstddef>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/boundary.h"
#include "core/result.h"

namespace era::core { class Clock; class FaultSet; class EventLog; }
namespace era::kv { class Engine; }
namespace era::r2 { class Engine; }
namespace era::d1 { class Engine; }
namespace era::admin { class Admin; class Registry; }
namespace era::products { class Declarations; class Signer; }

namespace era::api {

class Guard;

struct Settings {
  std::string version;
  std::string token;             // when non-empty, every route but health needs Bearer <token>
  bool control_enabled = true;   // --no-control turns /_emu off except health
  // A buffered JSON body's limit on routes that set none (control routes, resources, signing):
  // refused with 413 from Content-Length before a byte is read. Storage routes set their own
  // (docs/http-api.md: KV put 64 MiB, D1 32 MiB, R2 JSON put and seed 128 MiB).
  size_t max_json_body = size_t(1) << 20;
  BoundaryPolicy boundary;       // Host / Origin checks (--allow-host, --cors-origin)
  // The S3 endpoint's one key pair (--s3-access-key / --s3-secret-key): requests to /s3 are
  // SigV4-signed with it instead of carrying the bearer token.
  std::string s3_access_key = "era-emu";
  std::string s3_secret_key = "era-emu-secret";
  std::string public_url;        // http://host:port, for links the server hands out (set by
                                 // Server::bind to the bound address when empty)
};

struct Services {
  core::Clock* clock = nullptr;
  kv::Engine* kv = nullptr;
  r2::Engine* r2 = nullptr;
  d1::Engine* d1 = nullptr;
  admin::Admin* admin = nullptr;
  admin::Registry* registry = nullptr;  // /api/resources
  Guard* guard = nullptr;
  core::FaultSet* faults = nullptr;  // /_emu/faults (applied by the guard)
  core::EventLog* events = nullptr;  // /_emu/events (recorded by the guard)
  const products::Declarations* catalog = nullptr;  // declared products: ->get() is the current catalog
  // POST /_emu/declarations (app::RuntimeDeclarations::declare); the caller holds the state lock.
  std::function<Result<nlohmann::json>(const nlohmann::json&)> declare;
  products::Signer* signer = nullptr;          // signed / one-time URLs (api/signed/)
  Settings settings;
};

}  // namespace era::api
