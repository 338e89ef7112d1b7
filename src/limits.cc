// SPDX-License-Identifier: Apache-2.0
// The limit table: names for messages and for the CLI's --limit NAME=N.
#include "tfjs_quant/limits.h"

#include "tfjs_quant/text.h"

namespace tfq {

namespace {
constexpr uint64_t k32 = uint64_t{1} << 32;
constexpr LimitInfo kLimits[] = {
    {"json_bytes", &Limits::json_bytes, uint64_t{1} << 34},
    {"json_depth", &Limits::json_depth, uint64_t{1} << 20},
    {"rank", &Limits::rank, 1024},
    {"tensor_elements", &Limits::tensor_elements, kMaxTensorElements},
    {"weights", &Limits::weights, k32},
    {"groups", &Limits::groups, k32},
    {"shards", &Limits::shards, k32},
    {"string_bytes", &Limits::string_bytes, uint64_t{1} << 53},
};
static_assert(sizeof(kLimits) / sizeof(kLimits[0]) * sizeof(uint64_t) == sizeof(Limits),
              "every field of Limits has a row in kLimits");
}  // namespace

std::span<const LimitInfo> LimitTable() { return kLimits; }

Status SetLimit(Limits* limits, std::string_view name, uint64_t value) {
  std::string known;
  for (const LimitInfo& l : kLimits) {
    if (name == l.name) {
      if (value == 0 || value > l.max) {
        return InvalidArgument("limit " + std::string(l.name) + " must be from 1 to " + std::to_string(l.max));
      }
      limits->*l.field = value;
      return Status::Ok();
    }
    known += (known.empty() ? "" : ", ") + std::string(l.name);
  }
  return InvalidArgument("unknown limit " + Quoted(name) + "; known limits: " + known);
}

std::string LimitText(std::string_view name, uint64_t value) {
  return "the limit " + std::string(name) + " (" + std::to_string(value) + ")";
}

}  // namespace tfq
