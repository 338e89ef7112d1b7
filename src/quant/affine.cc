// SPDX-License-Identifier: Apache-2.0
// Affine uint8/uint16 quantization exactly as tensorflowjs_converter's
// quantization.py computes it (spec 3.3). Built with -ffp-contract=off: a
// fused multiply-add would change the last bit and so the codes.
#include <cmath>
#include <cstring>

#include "tfjs_quant/quantize.h"

namespace tfq {

AffineParams ComputeAffineParams(float min_f, float max_f, uint32_t qmax) {
  AffineParams p;
  const double mn = min_f, mx = max_f;
  if (mn == mx) {
    p.min = mn;
    p.max = mx;
    p.scale = 1.0;
    p.constant = true;
    return p;
  }
  p.scale = (mx - mn) / qmax;
  if (mn <= 0 && 0 <= mx) {
    // numpy's round is half-to-even, which nearbyint gives under the default
    // rounding mode. -(zp) * scale makes "min": -0.0 when mn == 0, as numpy.
    const double zp = std::nearbyint((0 - mn) / p.scale);
    p.min = -zp * p.scale;
    p.max = qmax * p.scale + p.min;
  } else {
    p.min = mn;
    p.max = mx;
  }
  return p;
}

namespace reference {

FloatRange ScanRange(std::span<const float> x) {
  FloatRange r;
  bool any = false;
  for (float v : x) {
    if (std::isnan(v)) { ++r.nan_count; continue; }
    if (std::isinf(v)) ++r.inf_count;
    if (!any) { r.min = r.max = v; any = true; continue; }
    if (v < r.min) r.min = v;
    if (v > r.max) r.max = v;
  }
  return r;
}

namespace {

template <typename Code>
void Store(uint8_t* out, size_t i, Code c) {
  // Little-endian regardless of host.
  for (size_t b = 0; b < sizeof(Code); ++b) out[i * sizeof(Code) + b] = static_cast<uint8_t>(c >> (8 * b));
}

template <typename Code>
void AffineKernel(std::span<const float> x, const AffineParams& p, Arithmetic arith, uint8_t* out) {
  if (p.constant) {
    std::memset(out, 0, x.size() * sizeof(Code));
    return;
  }
  if (arith == Arithmetic::kFloat64) {
    for (size_t i = 0; i < x.size(); ++i) {
      double v = x[i];
      v = v < p.min ? p.min : v;  // numpy clip = minimum(maximum(x, lo), hi)
      v = v > p.max ? p.max : v;
      double q = std::nearbyint((v - p.min) / p.scale);
      // astype(uint) of an in-range value; the cast through int64 mirrors
      // numpy's wrap should rounding ever step past qmax.
      Store<Code>(out, i, static_cast<Code>(static_cast<int64_t>(q)));
    }
  } else {
    // numpy 1: the float64 scalars are cast to float32 first, then the whole
    // expression runs in float32.
    const float lo = static_cast<float>(p.min);
    const float hi = static_cast<float>(p.max);
    const float sc = static_cast<float>(p.scale);
    for (size_t i = 0; i < x.size(); ++i) {
      float v = x[i];
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      float q = std::nearbyintf((v - lo) / sc);
      Store<Code>(out, i, static_cast<Code>(static_cast<int64_t>(q)));
    }
  }
}

}  // namespace

void QuantizeAffine(std::span<const float> x, const AffineParams& p, Encoding enc,
                    Arithmetic arith, uint8_t* out) {
  if (enc == Encoding::kUint8) {
    AffineKernel<uint8_t>(x, p, arith, out);
  } else {
    AffineKernel<uint16_t>(x, p, arith, out);
  }
}

}  // namespace reference
}  // namespace tfq
