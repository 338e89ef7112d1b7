// SPDX-License-Identifier: Apache-2.0
// What tfjs-core's io_utils decodeWeight computes for quantized entries
// (spec 3.5). JS evaluates `q * scale + min` in float64 and stores the sum
// into a Float32Array; we do the same, without FMA.
#include <cmath>
#include <cstring>

#include "tfjs_quant/quantize.h"
#include "util/bits.h"

namespace tfq {

float DequantizeAffine(uint32_t code, double scale, double min) {
  return static_cast<float>(static_cast<double>(code) * scale + min);
}

namespace {
uint32_t LoadCode(Encoding enc, const uint8_t* p, size_t i) {
  if (enc == Encoding::kUint8) return p[i];
  return static_cast<uint32_t>(p[2 * i]) | (static_cast<uint32_t>(p[2 * i + 1]) << 8);
}
}  // namespace

namespace reference {

void DecodeToFloat32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale,
                     float* out) {
  switch (enc) {
    case Encoding::kRaw:
      for (size_t i = 0; i < n; ++i) {
        uint32_t b = static_cast<uint32_t>(stored[4 * i]) | (static_cast<uint32_t>(stored[4 * i + 1]) << 8) |
                     (static_cast<uint32_t>(stored[4 * i + 2]) << 16) |
                     (static_cast<uint32_t>(stored[4 * i + 3]) << 24);
        out[i] = BitCast<float>(b);
      }
      break;
    case Encoding::kFloat16:
      for (size_t i = 0; i < n; ++i) out[i] = HalfBitsToFloat(static_cast<uint16_t>(LoadCode(Encoding::kUint16, stored, i)));
      break;
    case Encoding::kUint8:
    case Encoding::kUint16:
      for (size_t i = 0; i < n; ++i) out[i] = DequantizeAffine(LoadCode(enc, stored, i), scale, min);
      break;
  }
}

}  // namespace reference

void DecodeToInt32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale,
                   int32_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(LoadCode(enc, stored, i)) * scale + min;
    // Math.round: halves go toward +Infinity.
    double r = std::floor(x);
    if (x - r >= 0.5) r += 1;
    // Int32Array store: ToInt32, i.e. modulo 2^32; NaN becomes 0.
    int32_t v = 0;
    if (std::isfinite(r)) {
      double m = std::fmod(r, 4294967296.0);
      if (m < 0) m += 4294967296.0;
      v = static_cast<int32_t>(static_cast<uint32_t>(m));
    }
    out[i] = v;
  }
}

}  // namespace tfq
