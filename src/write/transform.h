// SPDX-License-Identifier: Apache-2.0
// Re-encodes one tensor for the writer: decode as tfjs would, then quantize
// as the converter would.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/writer.h"
#include "util/scratch.h"

namespace tfq {

struct Transformed {
  // The tensor's new bytes: in one of the buffers below, or, for raw
  // float32 kept as stored from an in-memory source, the source's own bytes
  // (Model::StoredInMemory). Valid until the next call.
  std::span<const uint8_t> bytes;
  bool changed = false;                       // false: bytes and manifest entry unchanged
  std::optional<Quantization> quantization;   // the new encoding when changed
  size_t nan_count = 0, inf_count = 0;        // non-finite values that blocked quantizing
  // Reused across calls.
  Scratch<uint8_t> stored, coded;
  Scratch<float> floats;
};

Status TransformTensor(const Model& model, const TensorLocation& t, Target target, const WriteOptions& options,
                       Transformed* out);

// The manifest entry of the tensor after TransformTensor.
WeightEntry TransformedEntry(const WeightEntry& e, const Transformed& tr);

}  // namespace tfq
