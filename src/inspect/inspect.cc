// SPDX-License-Identifier: Apache-2.0
// Inspect: one pass over the model, one tensor in memory at a time.
#include <algorithm>
#include <unordered_set>

#include "tfjs_quant/inspect.h"

namespace tfq {

Result<InspectReport> Inspect(const Model& model, const InspectOptions& options) {
  InspectReport report;
  const auto depthwise_list = DepthwiseWeights(model.file());
  const std::unordered_set<std::string> depthwise(depthwise_list.begin(), depthwise_list.end());
  std::vector<uint8_t> stored;
  std::vector<float> x;
  std::array<std::vector<uint8_t>, 3> encoded;
  for (const auto& loc : model.tensors()) {
    const WeightEntry& e = model.entry(loc);
    TFQ_RETURN_IF_ERROR(model.ReadStored(loc, &stored));
    TensorStats t;
    bool quantizable = e.dtype == DType::kFloat32;
    if (quantizable) {
      x.resize(e.num_elements);
      const auto& q = e.quantization;
      DecodeToFloat32(e.encoding(), stored.data(), e.num_elements, q ? q->min : 0, q ? q->scale : 1, x.data());
      t = AnalyzeFloat32(e, x, ChooseChannelAxis(e, depthwise.count(e.name) > 0), &encoded);
    } else {
      t.name = e.name;
      t.dtype = e.dtype;
      t.shape = e.shape;
      t.elements = e.num_elements;
      t.stored = e.encoding();
      t.reason = "not float32: never quantized";
      for (auto& v : encoded) v.clear();
    }
    t.stored_bytes = stored.size();
    report.total_bytes[kVariantStored] += stored.size();
    for (int k = 0; k < 3; ++k) {
      // A tensor that would stay as stored (not float32, NaN/Inf, or empty
      // for affine) counts with its stored bytes.
      const bool use = quantizable && !encoded[static_cast<size_t>(k)].empty();
      std::span<const uint8_t> bytes = use ? std::span<const uint8_t>(encoded[static_cast<size_t>(k)])
                                           : std::span<const uint8_t>(stored);
      report.total_bytes[static_cast<size_t>(k + 1)] += bytes.size();
      if (options.on_bytes) options.on_bytes(k + 1, bytes);
    }
    if (options.on_bytes) options.on_bytes(kVariantStored, stored);
    report.tensors.push_back(std::move(t));
  }
  return report;
}

}  // namespace tfq
