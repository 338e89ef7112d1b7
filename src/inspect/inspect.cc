// SPDX-License-Identifier: Apache-2.0
// Inspect: one pass over the model, one tensor in memory at a time.
#include <algorithm>
#include <unordered_set>

#include "tfjs_quant/inspect.h"
#include "tfjs_quant/text.h"
#include "util/scratch.h"

namespace tfq {

Result<InspectReport> Inspect(const Model& model, const InspectOptions& options) {
  InspectReport report;
  const auto& depthwise_list = model.file().depthwise_weights;
  const std::unordered_set<std::string> depthwise(depthwise_list.begin(), depthwise_list.end());
  // One tensor in memory at a time. A raw float32 tensor is read straight
  // into a float buffer and analyzed in place: inspect then holds no more
  // than quantize does (which also needs the decoded floats).
  Scratch<uint8_t> stored_bytes;
  Scratch<float> floats;
  const uint64_t total = model.total_bytes();
  uint64_t done = 0;
  for (const auto& loc : model.tensors()) {
    const WeightEntry& e = model.entry(loc);
    const bool raw_float = e.dtype == DType::kFloat32 && e.encoding() == Encoding::kRaw;
    std::span<const uint8_t> stored;
    if (raw_float) {
      float* f = floats.Resize(e.num_elements);
      if (!f && e.num_elements > 0) return NoMemoryFor(e, loc.byte_size);
      std::span<uint8_t> dst(reinterpret_cast<uint8_t*>(f), loc.byte_size);
      TFQ_RETURN_IF_ERROR(model.ReadStored(loc, dst));
      stored = dst;
    } else {
      uint8_t* p = stored_bytes.Resize(loc.byte_size);
      if (!p && loc.byte_size > 0) return NoMemoryFor(e, loc.byte_size);
      std::span<uint8_t> dst(p, loc.byte_size);
      TFQ_RETURN_IF_ERROR(model.ReadStored(loc, dst));
      stored = dst;
    }
    if (options.on_bytes) options.on_bytes(kVariantStored, stored);
    report.total_bytes[kVariantStored] += stored.size();
    TensorStats t;
    if (e.dtype == DType::kFloat32) {
      if (!raw_float) {
        float* f = floats.Resize(e.num_elements);
        if (!f && e.num_elements > 0) return NoMemoryFor(e, e.num_elements * 4);
        const auto& q = e.quantization;
        DecodeToFloat32(e.encoding(), stored.data(), e.num_elements, q ? q->min : 0, q ? q->scale : 1, f);
      }
      const ByteSink* emit = options.on_bytes ? &options.on_bytes : nullptr;
      t = AnalyzeFloat32(e, std::span<const float>(floats.data(), e.num_elements),
                         ChooseChannelAxis(e, depthwise.count(e.name) > 0), emit);
    } else {
      t.name = e.name;
      t.dtype = e.dtype;
      t.shape = e.shape;
      t.elements = e.num_elements;
      t.stored = e.encoding();
      t.reason = "not float32: never quantized";
    }
    t.stored_bytes = stored.size();
    if (t.encoded) {
      report.total_bytes[kVariantUint8] += e.num_elements;
      report.total_bytes[kVariantUint16] += 2 * e.num_elements;
      report.total_bytes[kVariantFloat16] += 2 * e.num_elements;
    } else {
      // Stays as stored in every variant (not float32, NaN/Inf, or empty).
      for (int k = kVariantUint8; k <= kVariantFloat16; ++k) {
        report.total_bytes[static_cast<size_t>(k)] += stored.size();
        if (options.on_bytes) options.on_bytes(k, stored);
      }
    }
    report.tensors.push_back(std::move(t));
    done += loc.byte_size;
    if (options.progress) options.progress(done, total);
  }
  return report;
}

}  // namespace tfq
