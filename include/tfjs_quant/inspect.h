// SPDX-License-Identifier: Apache-2.0
// Looking inside a model before quantizing it: per-tensor statistics and the
// error each encoding would cause, predicted by actually quantizing and
// decoding every tensor exactly as the converter and tfjs do. The error is
// measured per output channel too, because a tensor whose whole-tensor error
// looks fine can still wipe out one narrow channel.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/quantize.h"

namespace tfq {

// Signal-to-quantization-noise ratio, 10*log10(sum x^2 / sum (x - x')^2).
// +infinity when the decode is exact.
struct ErrorEstimate {
  double sqnr_db = std::numeric_limits<double>::infinity();
  double worst_channel_sqnr_db = std::numeric_limits<double>::infinity();
  int64_t worst_channel = -1;  // -1: no channel axis
  double max_abs_error = 0;
};

enum class Risk : uint8_t { kNone, kLow, kMedium, kHigh };
inline constexpr size_t kNumRisks = static_cast<size_t>(Risk::kHigh) + 1;
std::string_view RiskName(Risk r);

struct TensorStats {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  uint64_t elements = 0;
  Encoding stored = Encoding::kRaw;
  uint64_t stored_bytes = 0;

  bool quantizable = false;  // float32: the only dtype that gets quantized
  // Over the values tfjs decodes (finite values only for mean/std).
  double min = 0, max = 0, mean = 0, std = 0;
  double zero_share = 0;
  uint64_t nan_count = 0, inf_count = 0;

  // Output-channel axis used for worst-channel errors (-1: none) and why.
  int channel_axis = -1;
  std::string channel_axis_reason;
  int64_t channels = 0;
  // Channels whose values are all ~0 (120 dB below the tensor's peak): left
  // out of the worst-channel figures.
  int64_t dead_channels = 0;

  bool encoded = false;  // the three encodings were computed (finite, non-empty)
  ErrorEstimate uint8, uint16, float16;
  uint32_t uint8_levels_used = 0;  // distinct codes of 256
  // The worst uint8 channel: its share of the tensor's range and its levels.
  double worst_channel_range_share = 1;
  uint32_t worst_channel_levels = 0;
  uint64_t float16_overflow = 0;   // finite values that become +-Inf
  uint64_t float16_underflow = 0;  // non-zero values that become 0

  // 64-bin histogram of finite values over [min, max].
  std::vector<uint64_t> histogram;
  // uint8 grid: the affine parameters the converter would choose.
  AffineParams uint8_params;

  Risk risk = Risk::kNone;
  std::string reason;  // in words, e.g. "channel 7 spans 0.3% of the range: 2 of 256 levels"
};

// The byte streams inspect can report: the model as stored, and as it would
// be stored all-uint8, all-uint16 and all-float16.
enum : int { kVariantStored = 0, kVariantUint8, kVariantUint16, kVariantFloat16, kNumVariants };

struct InspectOptions {
  // Called, in manifest order and in pieces, with each variant's bytes
  // (tensors that stay as stored give their stored bytes): lets a caller
  // measure compressed sizes without the library depending on compressors.
  std::function<void(int variant, std::span<const uint8_t>)> on_bytes;
  // Called after each tensor with the stored bytes done so far and in all.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct InspectReport {
  std::vector<TensorStats> tensors;  // manifest order
  std::array<uint64_t, kNumVariants> total_bytes{};
};

// Decides which axis of a weight is its output-channel axis, from its shape
// and from the model topology (depthwise kernels use their input-channel
// axis; ModelFile::depthwise_weights). More than 65536 channels: none.
struct ChannelAxis {
  int axis = -1;
  std::string reason;
};
ChannelAxis ChooseChannelAxis(const WeightEntry& e, bool is_depthwise);

// Receives bytes of one variant (kVariant*), a piece at a time.
using ByteSink = std::function<void(int variant, std::span<const uint8_t>)>;

// Statistics of one float32 tensor (already decoded as tfjs decodes it).
// If `emit` is given it receives, in pieces, the uint8, uint16 and float16
// bytes the writer would store; it is not called (and `encoded` stays false)
// when the tensor would stay as stored (NaN/Inf, empty).
TensorStats AnalyzeFloat32(const WeightEntry& e, std::span<const float> x, const ChannelAxis& axis,
                           const ByteSink* emit = nullptr);

Result<InspectReport> Inspect(const Model& model, const InspectOptions& options = {});

}  // namespace tfq
