// SPDX-License-Identifier: Apache-2.0
// Per-tensor statistics and predicted quantization error. The prediction
// runs the same quantizers as the writer and the same decoders as tfjs, so a
// predicted SQNR is the SQNR a user will measure after quantize.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

#include "tfjs_quant/inspect.h"
#include "util/log10.h"

namespace tfq {

std::string_view RiskName(Risk r) {
  switch (r) {
    case Risk::kNone: return "-";
    case Risk::kLow: return "low";
    case Risk::kMedium: return "medium";
    case Risk::kHigh: return "high";
  }
  return "?";
}

namespace {

// Verdict thresholds on uint8 SQNR (dB), documented in docs/inspect.md.
constexpr double kHighChannelDb = 12.0;    // about 2-4 usable levels in a channel
constexpr double kMediumChannelDb = 24.0;  // about 16 levels
constexpr double kMediumTensorDb = 30.0;

double Sqnr(double signal, double noise) {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * Log10(signal / noise);
}

std::string Fmt(const char* f, double a) {
  char b[64];
  std::snprintf(b, sizeof b, f, a);
  return b;
}

void Judge(TensorStats& t) {
  std::vector<std::pair<Risk, std::string>> found;
  if (t.nan_count || t.inf_count) {
    found.emplace_back(Risk::kLow, "holds " + std::to_string(t.nan_count) + " NaN and " + std::to_string(t.inf_count) +
                                       " Inf: will stay as stored");
  } else if (t.elements > 0) {
    const ErrorEstimate& u = t.uint8;
    if (t.channel_axis >= 0 && t.channels > 1 && u.worst_channel_sqnr_db < kMediumChannelDb) {
      found.emplace_back(u.worst_channel_sqnr_db < kHighChannelDb ? Risk::kHigh : Risk::kMedium,
                         "channel " + std::to_string(u.worst_channel) + " spans " +
                             Fmt("%.2g", 100.0 * t.worst_channel_range_share) + "% of the range: " +
                             std::to_string(t.worst_channel_levels) + " of 256 levels (uint8 " +
                             Fmt("%.1f", u.worst_channel_sqnr_db) + " dB)");
    } else if (u.sqnr_db < kMediumTensorDb) {
      found.emplace_back(u.sqnr_db < kHighChannelDb ? Risk::kHigh : Risk::kMedium,
                         "uses " + std::to_string(t.uint8_levels_used) + " of 256 levels: uint8 " +
                             Fmt("%.1f", u.sqnr_db) + " dB");
    }
    if (t.float16_overflow) {
      found.emplace_back(Risk::kHigh, std::to_string(t.float16_overflow) +
                                          " values exceed float16's range (65504) and become Inf");
    }
    // Underflow matters only where it costs accuracy: tiny values next to
    // large ones are lost in any encoding.
    if (t.float16_underflow > 0 && t.float16.worst_channel_sqnr_db < kMediumTensorDb) {
      found.emplace_back(Risk::kMedium, std::to_string(t.float16_underflow) +
                                            " non-zero values are below float16's smallest step (6e-8) and become 0 (float16 " +
                                            Fmt("%.1f", t.float16.worst_channel_sqnr_db) + " dB)");
    }
  }
  const std::string dead =
      t.dead_channels ? "; " + std::to_string(t.dead_channels) + " dead channel" + (t.dead_channels == 1 ? "" : "s") + " (~0) ignored" : "";
  if (found.empty()) {
    t.risk = t.elements ? Risk::kLow : Risk::kNone;
    t.reason = t.elements ? "uint8 " + Fmt("%.1f", t.uint8.sqnr_db) + " dB" +
                                (t.channels > 1 ? ", worst channel " + Fmt("%.1f", t.uint8.worst_channel_sqnr_db) + " dB" : "") + dead
                          : "empty";
    return;
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  t.risk = found[0].first;
  t.reason.clear();
  for (const auto& f : found) t.reason += (t.reason.empty() ? "" : "; ") + f.second;
  t.reason += dead;
}

}  // namespace

TensorStats AnalyzeFloat32(const WeightEntry& e, std::span<const float> x, const ChannelAxis& axis,
                           const ByteSink* emit) {
  TensorStats t;
  t.name = e.name;
  t.dtype = e.dtype;
  t.shape = e.shape;
  t.elements = x.size();
  t.stored = e.encoding();
  t.quantizable = true;
  t.channel_axis = axis.axis;
  t.channel_axis_reason = axis.reason;

  // Plain statistics over finite values.
  FloatRange r = ScanRange(x);
  t.nan_count = r.nan_count;
  t.inf_count = r.inf_count;
  double sum = 0, sumsq = 0;
  uint64_t finite = 0, zeros = 0;
  float fmin = 0, fmax = 0;
  for (float v : x) {
    if (!std::isfinite(v)) continue;
    if (finite == 0) fmin = fmax = v;
    fmin = std::min(fmin, v);
    fmax = std::max(fmax, v);
    sum += v;
    sumsq += static_cast<double>(v) * v;
    zeros += (v == 0);
    ++finite;
  }
  t.min = fmin;
  t.max = fmax;
  if (finite) {
    t.mean = sum / static_cast<double>(finite);
    t.std = std::sqrt(std::max(0.0, sumsq / static_cast<double>(finite) - t.mean * t.mean));
  }
  t.zero_share = x.empty() ? 0 : static_cast<double>(zeros) / static_cast<double>(x.size());
  t.histogram.assign(64, 0);
  for (float v : x) {
    if (!std::isfinite(v)) continue;
    size_t b = fmax > fmin ? static_cast<size_t>((static_cast<double>(v) - fmin) / (static_cast<double>(fmax) - fmin) * 64) : 0;
    ++t.histogram[std::min<size_t>(b, 63)];
  }
  if (!r.finite() || x.empty()) {
    Judge(t);
    return t;
  }

  // Channel layout: element i is in channel (i / inner) % C.
  uint64_t inner = 1;
  int64_t C = 1;
  if (axis.axis >= 0 && static_cast<size_t>(axis.axis) < e.shape.size()) {
    C = std::max<int64_t>(1, e.shape[static_cast<size_t>(axis.axis)]);
    for (size_t d = static_cast<size_t>(axis.axis) + 1; d < e.shape.size(); ++d) inner *= static_cast<uint64_t>(e.shape[d]);
  }
  t.channels = axis.axis >= 0 ? C : 0;
  if (inner == 0) inner = 1;

  // Quantize and decode exactly as the writer and tfjs would, a chunk at a
  // time so that memory stays at the tensor itself (inspect must not need
  // more than quantize does).
  const size_t n = x.size();
  t.uint8_params = ComputeAffineParams(r.min, r.max, 255);
  const AffineParams p16 = ComputeAffineParams(r.min, r.max, 65535);
  constexpr size_t kChunk = 1 << 16;
  std::vector<uint8_t> u8(std::min(n, kChunk)), u16(2 * u8.size()), f16(2 * u8.size());

  std::vector<double> sig(static_cast<size_t>(C), 0.0), noise[3];
  for (auto& v : noise) v.assign(static_cast<size_t>(C), 0.0);
  std::vector<float> cmin(static_cast<size_t>(C), fmax), cmax(static_cast<size_t>(C), fmin);
  std::vector<std::array<uint64_t, 4>> levels(static_cast<size_t>(C), std::array<uint64_t, 4>{});
  std::array<uint64_t, 4> all_levels{};
  double total_sig = 0, total_noise[3] = {0, 0, 0};
  double maxerr[3] = {0, 0, 0};
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = std::min(kChunk, n - start);
    const auto chunk = x.subspan(start, m);
    QuantizeAffine(chunk, t.uint8_params, Encoding::kUint8, Arithmetic::kFloat64, u8.data());
    QuantizeAffine(chunk, p16, Encoding::kUint16, Arithmetic::kFloat64, u16.data());
    QuantizeFloat16(chunk, f16.data());
    for (size_t j = 0; j < m; ++j) {
      const size_t i = start + j;
      const size_t c = static_cast<size_t>((i / inner) % static_cast<uint64_t>(C));
      const double v = x[i];
      const uint16_t h = static_cast<uint16_t>(f16[2 * j] | (f16[2 * j + 1] << 8));
      const double dec[3] = {DequantizeAffine(u8[j], t.uint8_params.scale, t.uint8_params.min),
                             DequantizeAffine(static_cast<uint32_t>(u16[2 * j] | (u16[2 * j + 1] << 8)), p16.scale, p16.min),
                             HalfBitsToFloat(h)};
      sig[c] += v * v;
      total_sig += v * v;
      for (int k = 0; k < 3; ++k) {
        const double d = dec[k] - v;
        noise[k][c] += d * d;
        total_noise[k] += d * d;
        maxerr[k] = std::max(maxerr[k], std::fabs(d));
      }
      cmin[c] = std::min(cmin[c], x[i]);
      cmax[c] = std::max(cmax[c], x[i]);
      levels[c][u8[j] >> 6] |= uint64_t{1} << (u8[j] & 63);
      all_levels[u8[j] >> 6] |= uint64_t{1} << (u8[j] & 63);
      if ((h & 0x7fffu) == 0x7c00u) ++t.float16_overflow;
      if ((h & 0x7fffu) == 0 && v != 0) ++t.float16_underflow;
    }
    if (emit && *emit) {
      (*emit)(kVariantUint8, std::span<const uint8_t>(u8.data(), m));
      (*emit)(kVariantUint16, std::span<const uint8_t>(u16.data(), 2 * m));
      (*emit)(kVariantFloat16, std::span<const uint8_t>(f16.data(), 2 * m));
    }
  }
  t.encoded = true;
  // A dead channel (every value more than 120 dB below the tensor's largest)
  // contributes nothing whatever its relative error; judging it would flag
  // pruned filters as risky.
  const double tensor_peak = std::max(std::fabs(static_cast<double>(fmin)), std::fabs(static_cast<double>(fmax)));
  std::vector<bool> dead(static_cast<size_t>(C), false);
  if (t.channels > 1) {
    for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
      const double peak = std::max(std::fabs(static_cast<double>(cmin[c])), std::fabs(static_cast<double>(cmax[c])));
      dead[c] = peak <= 1e-6 * tensor_peak;
      t.dead_channels += dead[c];
    }
  }
  ErrorEstimate* est[3] = {&t.uint8, &t.uint16, &t.float16};
  for (int k = 0; k < 3; ++k) {
    est[k]->sqnr_db = Sqnr(total_sig, total_noise[k]);
    est[k]->max_abs_error = maxerr[k];
    if (t.channels > 0) {
      for (int64_t c = 0; c < C; ++c) {
        const size_t ci = static_cast<size_t>(c);
        if (sig[ci] == 0 && noise[k][ci] == 0) continue;
        if (dead[ci]) continue;
        double s = Sqnr(sig[ci], noise[k][ci]);
        if (est[k]->worst_channel < 0 || s < est[k]->worst_channel_sqnr_db) {
          est[k]->worst_channel_sqnr_db = s;
          est[k]->worst_channel = c;
        }
      }
    } else {
      est[k]->worst_channel_sqnr_db = est[k]->sqnr_db;
    }
  }
  auto popcount = [](const std::array<uint64_t, 4>& b) {
    uint32_t s = 0;
    for (auto w : b) s += static_cast<uint32_t>(std::popcount(w));
    return s;
  };
  t.uint8_levels_used = popcount(all_levels);
  if (t.uint8.worst_channel >= 0) {
    const size_t wc = static_cast<size_t>(t.uint8.worst_channel);
    const double range = static_cast<double>(fmax) - fmin;
    t.worst_channel_range_share = range > 0 ? (static_cast<double>(cmax[wc]) - cmin[wc]) / range : 1;
    t.worst_channel_levels = popcount(levels[wc]);
  } else {
    t.worst_channel_levels = t.uint8_levels_used;
  }
  Judge(t);
  return t;
}

}  // namespace tfq
