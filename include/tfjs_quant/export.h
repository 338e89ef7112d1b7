// SPDX-License-Identifier: Apache-2.0
// Every weight of a tfjs model as tfjs decodes it (float32 for quantized
// weights, int32, bool), written as a safetensors file or a numpy .npz, so
// that users can check a model in the tools of their choice and pack it
// back. Streams: one tensor in memory at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "tfjs_quant/model.h"
#include "tfjs_quant/status.h"

namespace tfq {

enum class ExportFormat : uint8_t { kSafetensors, kNpz };

// Receives the file's bytes in order.
using ExportWriter = std::function<Status(std::span<const uint8_t>)>;

// String and complex64 weights have no place in either format, nor quantized
// int32 ones (a legacy form) or, in safetensors, one named "__metadata__":
// kUnsupported naming the first one, before anything is written.
Status ExportWeights(const Model& model, ExportFormat format, const ExportWriter& write);

}  // namespace tfq
