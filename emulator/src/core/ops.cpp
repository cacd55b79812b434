#include "core/ops.h"

namespace era {

std::string_view to_string(Service s) {
  switch (s) {
    case Service::kv: return "kv";
    case Service::r2: return "r2";
    case Service::d1: return "d1";
    case Service::resources: return "resources";
    case Service::control: return "control";
  }
  return "?";
}

std::string_view to_string(Op op) {
  switch (op) {
    case Op::get: return "get";
    case Op::put: return "put";
    case Op::del: return "delete";
    case Op::list: return "list";
    case Op::head: return "head";
    case Op::query: return "query";
    case Op::exec: return "exec";
    case Op::batch: return "batch";
    case Op::multipart_create: return "multipart_create";
    case Op::multipart_upload: return "multipart_upload";
    case Op::multipart_complete: return "multipart_complete";
    case Op::multipart_abort: return "multipart_abort";
    case Op::sign: return "sign";
    case Op::stats: return "stats";
    case Op::control: return "control";
  }
  return "?";
}

}  // namespace era
