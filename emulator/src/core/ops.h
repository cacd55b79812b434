#pragma once
// Services and operations, declared once: fault rules validate against these lists, the router's
// rows name them, the event log records them, and the docs and the op-coverage test read them.
#include <optional>
#include <span>
#include <string_view>

namespace era {

#define ERA_SERVICES(X) X(kv) X(r2) X(d1) X(resources) X(control)

// X(enumerator, wire name)
#define ERA_OPS(X)                                                          \
  X(get, "get") X(put, "put") X(del, "delete") X(list, "list") X(head, "head") \
  X(query, "query") X(exec, "exec") X(batch, "batch")                      \
  X(multipart_create, "multipart_create") X(multipart_upload, "multipart_upload") \
  X(multipart_complete, "multipart_complete") X(multipart_abort, "multipart_abort") \
  X(copy, "copy")      /* R2 server-side copy (S3 CopyObject) */            \
  X(multipart_list, "multipart_list") /* S3 ListMultipartUploads, ListParts */ \
  X(bucket_list, "bucket_list") X(bucket_head, "bucket_head")              \
  X(bucket_create, "bucket_create") X(bucket_delete, "bucket_delete")      \
  X(bucket_config, "bucket_config") /* S3 bucket CORS and lifecycle */     \
  X(sign, "sign")      /* signed URLs */                                    \
  X(stats, "stats")    /* resources */                                      \
  X(control, "control") /* /_emu: never faulted */

#define ERA_ENUM_SERVICE(name) name,
#define ERA_ENUM_OP(name, wire) name,
enum class Service { ERA_SERVICES(ERA_ENUM_SERVICE) };
enum class Op { ERA_OPS(ERA_ENUM_OP) };
#undef ERA_ENUM_SERVICE
#undef ERA_ENUM_OP

std::string_view to_string(Service s);
std::string_view to_string(Op op);
std::optional<Service> parse_service(std::string_view s);
std::optional<Op> parse_op(std::string_view s);
std::span<const Service> all_services();
std::span<const Op> all_ops();

}  // namespace era
