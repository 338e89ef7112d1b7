// SPDX-License-Identifier: Apache-2.0
// Which axis of a weight holds its output channels. Convolution kernels
// [h, w, in, out] and dense kernels [in, out] keep them last; depthwise
// kernels [h, w, in, multiplier] produce one output channel group per input
// channel, so their channel axis is the input-channel axis (2). Depthwise is
// told from the topology: graph nodes with a depthwise op, or Keras weights
// named "depthwise_kernel".
#include <string>

#include "json/json.h"
#include "tfjs_quant/inspect.h"

namespace tfq {

std::vector<std::string> DepthwiseWeights(const ModelFile& file) {
  std::vector<std::string> out;
  if (file.kind != ModelKind::kModelJson) return out;
  auto root = json::Parse(file.text, file.file_name);
  if (!root.ok()) return out;
  const json::Json& r = root.value();
  auto topo = r.find("modelTopology");
  if (topo == r.end() || !topo->is_object()) return out;
  auto nodes = topo->find("node");
  if (nodes == topo->end() || !nodes->is_array()) return out;
  for (const auto& n : *nodes) {
    if (!n.is_object()) continue;
    auto op = n.find("op");
    auto in = n.find("input");
    if (op == n.end() || !op->is_string() || in == n.end() || !in->is_array() || in->size() < 2) continue;
    const std::string& o = op->get_ref<const std::string&>();
    if (o.find("DepthwiseConv2d") == std::string::npos) continue;
    if (!(*in)[1].is_string()) continue;
    std::string w = (*in)[1].get<std::string>();
    if (auto colon = w.find(':'); colon != std::string::npos) w.resize(colon);
    out.push_back(w);
  }
  return out;
}

ChannelAxis ChooseChannelAxis(const WeightEntry& e, bool is_depthwise) {
  const size_t rank = e.shape.size();
  const bool keras_depthwise = e.name.size() >= 16 && e.name.find("depthwise_kernel") != std::string::npos;
  if (rank == 4 && (is_depthwise || keras_depthwise)) {
    return {2, "depthwise kernel [h,w,in,multiplier]: input-channel axis"};
  }
  if (rank == 4) return {3, "convolution kernel [h,w,in,out]: last axis"};
  if (rank == 2) return {1, "dense kernel [in,out]: last axis"};
  if (rank >= 3) return {static_cast<int>(rank) - 1, "rank " + std::to_string(rank) + ": last axis assumed"};
  return {-1, "rank " + std::to_string(rank) + ": no channel axis; whole tensor only"};
}

}  // namespace tfq
