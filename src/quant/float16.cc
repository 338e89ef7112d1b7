// SPDX-License-Identifier: Apache-2.0
// binary32 <-> binary16 conversions in plain integer arithmetic, so results
// do not depend on the CPU's F16C support or its NaN quieting.
#include <cstring>

#include "tfjs_quant/quantize.h"
#include "util/bits.h"

namespace tfq {

uint16_t FloatToHalfBits(float value) {
  const uint32_t f = BitCast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t a = f & 0x7fffffffu;
  if (a >= 0x7f800000u) {
    if (a == 0x7f800000u) return sign | 0x7c00u;  // Inf
    // NaN: numpy keeps the top 10 payload bits and never lets NaN become Inf.
    uint16_t m = static_cast<uint16_t>((a & 0x7fffffu) >> 13);
    if (m == 0) m = 1;
    return sign | 0x7c00u | m;
  }
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to Inf
  if (a < 0x38800000u) {                         // below 2^-14: half subnormal
    if (a < 0x33000000u) return sign;            // below 2^-25: rounds to 0
    const uint32_t exp = a >> 23;                // 102..112
    const uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;            // value / 2^-24 = mant >> shift
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;  // may carry to 0x400: fine
    return sign | static_cast<uint16_t>(q);
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa to 10 bits;
  // a carry into the exponent is the correct result.
  uint32_t h = (a - 0x38000000u) >> 13;
  const uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

float HalfBitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu;
  uint32_t m = h & 0x3ffu;
  uint32_t bits;
  if (e == 0x1f) {
    bits = sign | 0x7f800000u | (m << 13);
  } else if (e == 0) {
    if (m == 0) {
      bits = sign;
    } else {
      uint32_t s = 0;
      while (!(m & 0x400u)) { m <<= 1; ++s; }
      bits = sign | ((113 - s) << 23) | ((m & 0x3ffu) << 13);
    }
  } else {
    bits = sign | ((e + 112) << 23) | (m << 13);
  }
  return BitCast<float>(bits);
}

namespace reference {

void QuantizeFloat16(std::span<const float> x, uint8_t* out) {
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t h = FloatToHalfBits(x[i]);
    out[2 * i] = static_cast<uint8_t>(h);
    out[2 * i + 1] = static_cast<uint8_t>(h >> 8);
  }
}

}  // namespace reference
}  // namespace tfq
