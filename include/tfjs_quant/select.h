// SPDX-License-Identifier: Apache-2.0
// Which tensors get which encoding: the converter's --quantize_* flags with
// Python fnmatch patterns and one fallthrough (spec section 4), plus --skip.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/status.h"

namespace tfq {

// What to do with one tensor when writing.
enum class Target : uint8_t {
  kKeep,     // stored bytes and metadata unchanged
  kRaw,      // decode to the entry's dtype, unquantized (dequantize)
  kUint8,
  kUint16,
  kFloat16,
};
inline constexpr size_t kNumTargets = static_cast<size_t>(Target::kFloat16) + 1;
std::string_view TargetName(Target t);

// Python fnmatch.fnmatchcase: whole-name match; * (also across '/'), ?,
// [seq], [!seq]; an unclosed '[' is literal.
bool GlobMatch(std::string_view pattern, std::string_view name);
// A pattern that matches exactly `name` (its *, ? and [ bracketed).
std::string GlobLiteral(std::string_view name);

// One --quantize_<dtype> flag: absent, bare (the fallthrough), or patterns.
struct DTypeRule {
  bool given = false;
  bool fallthrough = false;
  std::vector<std::string> patterns;
};

struct Selection {
  DTypeRule uint8, uint16, float16;
  std::vector<std::string> skip;  // matching tensors are kept whatever else matches
};

// Splits "a/*,b?" into patterns, as the converter does (commas only).
std::vector<std::string> SplitPatterns(std::string_view list);

// One Target per model tensor (Model::tensors() order). Only float32 entries
// are ever quantized, as in the converter. A name matched by patterns of two
// dtypes, or two fallthroughs, is an InvalidArgument error naming both.
Result<std::vector<Target>> Plan(const Model& model, const Selection& sel);

// What in `sel` has no effect on `model`, one line each for the user: no
// encoding asked for at all, a pattern that matches no weight (or only
// weights that are not float32), a skip pattern that matches none. Names
// no CLI flag: "uint8 pattern 'conv*' matches no weight".
std::vector<std::string> SelectionWarnings(const Model& model, const Selection& sel);

}  // namespace tfq
