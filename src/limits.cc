// SPDX-License-Identifier: Apache-2.0
// The limit table: names for messages and for the CLI's --limit NAME=N.
#include "tfjs_quant/limits.h"

#include "tfjs_quant/text.h"

namespace tfq {

namespace {
constexpr LimitInfo kLimits[] = {
    {"json_bytes", &Limits::json_bytes, "bytes of the model JSON or manifest file"},
    {"json_depth", &Limits::json_depth, "nesting depth of arrays and objects in it"},
    {"rank", &Limits::rank, "dimensions of one weight's shape"},
    {"tensor_elements", &Limits::tensor_elements, "elements of one weight"},
    {"weights", &Limits::weights, "weights in the manifest"},
    {"groups", &Limits::groups, "groups in the manifest"},
    {"shards", &Limits::shards, "shard files read or written"},
    {"string_bytes", &Limits::string_bytes, "stored bytes of one string weight"},
};
static_assert(sizeof(kLimits) / sizeof(kLimits[0]) * sizeof(uint64_t) == sizeof(Limits),
              "every field of Limits has a row in kLimits");
}  // namespace

std::span<const LimitInfo> LimitTable() { return kLimits; }

Status SetLimit(Limits* limits, std::string_view name, uint64_t value) {
  std::string known;
  for (const LimitInfo& l : kLimits) {
    if (name == l.name) {
      if (value == 0) return InvalidArgument("limit " + std::string(l.name) + " must be a positive number");
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
