#include "core/ops.h"

#include <array>

namespace era {
namespace {

#define ERA_LIST_SERVICE(name) Service::name,
#define ERA_LIST_OP(name, wire) Op::name,
constexpr std::array kServices{ERA_SERVICES(ERA_LIST_SERVICE)};
constexpr std::array kOps{ERA_OPS(ERA_LIST_OP)};
#undef ERA_LIST_SERVICE
#undef ERA_LIST_OP

}  // namespace

std::string_view to_string(Service s) {
#define ERA_CASE(name) \
  case Service::name: return #name;
  switch (s) { ERA_SERVICES(ERA_CASE) }
#undef ERA_CASE
  return "?";
}

std::string_view to_string(Op op) {
#define ERA_CASE(name, wire) \
  case Op::name: return wire;
  switch (op) { ERA_OPS(ERA_CASE) }
#undef ERA_CASE
  return "?";
}

std::optional<Service> parse_service(std::string_view s) {
  for (Service v : kServices)
    if (to_string(v) == s) return v;
  return std::nullopt;
}

std::optional<Op> parse_op(std::string_view s) {
  for (Op v : kOps)
    if (to_string(v) == s) return v;
  return std::nullopt;
}

std::span<const Service> all_services() { return kServices; }
std::span<const Op> all_ops() { return kOps; }

}  // namespace era
