// SPDX-License-Identifier: Apache-2.0
// The converter's quantization flags, shared by the commands that write
// quantized weights (quantize, pack).
#pragma once

#include <string>

#include "commands.h"
#include "tfjs_quant/tfjs_quant.h"

namespace tfq::cli {

// The value of a --quantize_* flag that was not given.
inline constexpr const char* kUnsetFlag = "\x02";

struct QuantizeFlags {
  std::string uint8 = kUnsetFlag, uint16 = kUnsetFlag, float16 = kUnsetFlag;
  int quantization_bytes = 0;
  std::string skip;
  std::string arithmetic = "float64";
  std::string shard_size = "4194304";  // set by AddOutputOptions
};

// --quantize_uint8|16|float16[=PATTERNS], --quantization_bytes, --skip,
// --arithmetic, and the footer explaining PATTERNS.
void AddQuantizeFlags(CLI::App& sub, QuantizeFlags& f);
// The selection the flags ask for (warns about --quantization_bytes).
Result<Selection> SelectionOf(const QuantizeFlags& f);
// Shard size and arithmetic.
Result<WriteOptions> WriteOptionsOf(const QuantizeFlags& f);

}  // namespace tfq::cli
