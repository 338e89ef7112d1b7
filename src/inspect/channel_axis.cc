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

namespace {
constexpr int64_t kMaxChannels = 1 << 16;

ChannelAxis Axis(const WeightEntry& e, bool is_depthwise) {
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
}  // namespace

ChannelAxis ChooseChannelAxis(const WeightEntry& e, bool is_depthwise) {
  ChannelAxis a = Axis(e, is_depthwise);
  if (a.axis >= 0 && e.shape[static_cast<size_t>(a.axis)] > kMaxChannels) {
    return {-1, std::to_string(e.shape[static_cast<size_t>(a.axis)]) + " channels on axis " + std::to_string(a.axis) +
                    ", more than 65536: whole tensor only"};
  }
  return a;
}

}  // namespace tfq
