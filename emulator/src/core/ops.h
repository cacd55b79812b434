#pragma once
// Services and operations, as spelled in fault rules, events and the route table.
#include <string_view>

namespace era {

enum class Service { kv, r2, d1, resources, control };

enum class Op {
  get, put, del, list, head,            // KV and R2
  query, exec, batch,                   // D1
  multipart_create, multipart_upload, multipart_complete, multipart_abort,
  sign,                                 // signed URLs
  stats,                                // resources
  control,                              // /_emu
};

std::string_view to_string(Service s);
std::string_view to_string(Op op);

}  // namespace era
