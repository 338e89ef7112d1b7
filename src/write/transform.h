// SPDX-License-Identifier: Apache-2.0
// Re-encodes one tensor for the writer: decode as tfjs would, then quantize
// as the converter would.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/writer.h"

namespace tfq {

struct Transformed {
  std::vector<uint8_t> bytes;
  bool changed = false;                       // false: bytes and entry JSON unchanged
  std::optional<Quantization> quantization;   // the new encoding when changed
  size_t nan_count = 0, inf_count = 0;        // non-finite values that blocked quantizing
};

Status TransformTensor(const Model& model, const TensorLocation& t, Target target, const WriteOptions& options,
                       Transformed* out);

// The entry object rewritten for a changed tensor.
std::string RewriteEntryJson(const WeightEntry& e, const std::optional<Quantization>& q);

}  // namespace tfq
