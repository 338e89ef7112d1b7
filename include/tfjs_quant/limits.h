// SPDX-License-Identifier: Apache-2.0
// How large an input tfjs-quant accepts. Every size that decides an
// allocation, a loop count or a nesting depth is checked against these
// before anything is allocated, so a hostile file gets a kLimitExceeded
// Status instead of exhausting memory, time or the stack. The defaults are
// far above any real tfjs model (docs/safety.md); raise them for a model
// that needs more.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tfjs_quant/status.h"

namespace tfq {

// The largest tensor any limit allows: 8-byte elements stay below 2^53 bytes.
inline constexpr uint64_t kMaxTensorElements = uint64_t{1} << 50;

struct Limits {
  // Bytes of the model JSON or standalone manifest file.
  uint64_t json_bytes = uint64_t{64} << 20;
  // Nesting of arrays and objects in it.
  uint64_t json_depth = 1000;
  // Dimensions of one weight's shape.
  uint64_t rank = 32;
  // Elements of one weight (2^31: 8 GiB of float32, more than a browser
  // can put in one typed array).
  uint64_t tensor_elements = uint64_t{1} << 31;
  // Weights in the manifest, all groups together.
  uint64_t weights = 65536;
  // Groups in the manifest.
  uint64_t groups = 4096;
  // Shard files, read and written (10,000 shards of 4 MiB: 40 GiB).
  uint64_t shards = 10000;
  // Stored bytes of one string weight, length prefixes included.
  uint64_t string_bytes = uint64_t{1} << 31;
};

// The limits by name ("json_depth"), for command lines and messages. No
// limit may be raised above `max`: past it the library's own arithmetic
// (byte offsets of 2^53 at most, as in JavaScript) would no longer hold.
struct LimitInfo {
  const char* name;
  uint64_t Limits::*field;
  uint64_t max;
};
std::span<const LimitInfo> LimitTable();

// Sets the limit called `name` (as in LimitTable) to `value`, from 1 to its
// `max`.
Status SetLimit(Limits* limits, std::string_view name, uint64_t value);

// The kLimitExceeded message's tail, e.g. "... exceeds the limit json_depth
// (1000)": how a caller names the limit to raise.
std::string LimitText(std::string_view name, uint64_t value);

}  // namespace tfq
