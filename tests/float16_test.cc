// SPDX-License-Identifier: Apache-2.0
// binary16 <-> binary32 (spec 3.4, 3.5): the decoder against an independent
// ldexp computation for all 65536 patterns, the encoder against the
// compiler's IEEE round-to-nearest-even _Float16 conversion on a large
// deterministic sample, and numpy's NaN rule.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "testutil.h"
#include "tfjs_quant/quantize.h"

namespace tfq {
namespace {

using testing::FloatFromBits;

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }

// Independent half decode: (-1)^s * m * 2^-24 (subnormal) or
// (-1)^s * (1024 + m) * 2^(e - 25) (normal), computed in double.
double HalfValue(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0) return sign * std::ldexp(static_cast<double>(m), -24);
  return sign * std::ldexp(static_cast<double>(1024 + m), e - 25);
}

#if defined(__FLT16_MAX__)
// Reference encoder: GCC/Clang _Float16 conversion is IEEE binary16 with
// round-to-nearest-even (soft-float in libgcc without AVX512-FP16).
uint16_t RefHalf(float f) {
  _Float16 h = static_cast<_Float16>(f);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}
#else
// Without _Float16 (clang 14 on x86-64, the sanitizer build): the nearest
// half by binary search over the exact values of every finite half, ties
// to the even code; from 65520 (halfway past 65504) on, Inf. Not NaN.
uint16_t RefHalf(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7c00;
  uint32_t lo = 0, hi = 0x7bff;  // positive finite halves increase with their code
  while (lo < hi) {
    const uint32_t mid = (lo + hi + 1) / 2;
    if (HalfValue(static_cast<uint16_t>(mid)) <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo == 0x7bff || HalfValue(static_cast<uint16_t>(lo)) == a) return static_cast<uint16_t>(sign | lo);
  const double below = a - HalfValue(static_cast<uint16_t>(lo));
  const double above = HalfValue(static_cast<uint16_t>(lo + 1)) - a;
  const uint32_t h = below < above ? lo : above < below ? lo + 1 : (lo & 1u ? lo + 1 : lo);
  return static_cast<uint16_t>(sign | h);
}
#endif

TEST(Float16, SpecTableF) {
  struct Row {
    float in;
    uint16_t half;
    double decoded;
  } rows[] = {
      {1.0f, 0x3c00, 1.0},
      {-2.0f, 0xc000, -2.0},
      {0.1f, 0x2e66, 0.0999755859375},
      {1.0f / 3.0f, 0x3555, 0.333251953125},
      {65504.0f, 0x7bff, 65504.0},
      {65519.0f, 0x7bff, 65504.0},
      {65520.0f, 0x7c00, INFINITY},
      {1e5f, 0x7c00, INFINITY},
      {std::ldexp(1.0f, -14), 0x0400, 6.103515625e-05},
      {1e-7f, 0x0002, 1.1920928955078125e-07},
      {std::ldexp(1.0f, -24), 0x0001, 5.960464477539063e-08},
      {std::ldexp(1.0f, -25), 0x0000, 0.0},
      {1.5f * std::ldexp(1.0f, -25), 0x0001, 5.960464477539063e-08},
      {-0.0f, 0x8000, -0.0},
      {INFINITY, 0x7c00, INFINITY},
      {-INFINITY, 0xfc00, -INFINITY},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.in);
    EXPECT_EQ(FloatToHalfBits(r.in), r.half);
    float d = HalfBitsToFloat(r.half);
    EXPECT_EQ(d, static_cast<float>(r.decoded));
    EXPECT_EQ(std::signbit(d), std::signbit(r.decoded));
  }
  EXPECT_EQ(Bits(0.1f), 0x3dcccccdu);
  EXPECT_EQ(Bits(1.0f / 3.0f), 0x3eaaaaabu);
  EXPECT_EQ(Bits(1e-7f), 0x33d6bf95u);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0x7fc00000)), 0x7e00);
}

TEST(Float16, DecodeAll65536PatternsExactly) {
  size_t nans = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = HalfBitsToFloat(static_cast<uint16_t>(h));
    const uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f && m != 0) {
      // NaN keeps its sign and payload, shifted left by 13.
      ++nans;
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      ASSERT_EQ(Bits(f), ((h & 0x8000u) << 16) | 0x7f800000u | (m << 13)) << std::hex << h;
      continue;
    }
    if (e == 0x1f) {
      ASSERT_TRUE(std::isinf(f)) << std::hex << h;
      ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
      continue;
    }
    const double ref = HalfValue(static_cast<uint16_t>(h));
    // Every half is exactly representable as a float.
    ASSERT_EQ(static_cast<double>(f), ref) << std::hex << h;
    ASSERT_EQ(std::signbit(f), std::signbit(ref)) << std::hex << h;
  }
  EXPECT_EQ(nans, 2u * 1023u);
}

TEST(Float16, RoundTripEveryNonNaNHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    if (((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff) != 0) continue;
    ASSERT_EQ(FloatToHalfBits(HalfBitsToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

TEST(Float16, NaNRoundTripKeepsPayload) {
  // Half NaN -> float -> half is also the identity (payload survives).
  for (uint32_t h = 0x7c01; h <= 0x7fff; ++h) {
    ASSERT_EQ(FloatToHalfBits(HalfBitsToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
    ASSERT_EQ(FloatToHalfBits(HalfBitsToFloat(static_cast<uint16_t>(h | 0x8000))), h | 0x8000) << std::hex << h;
  }
}

void ExpectMatchesReference(uint32_t bits) {
  const float f = FloatFromBits(bits);
  if (std::isnan(f)) return;  // NaN follows numpy's rule, tested below
  ASSERT_EQ(FloatToHalfBits(f), RefHalf(f)) << "float bits 0x" << std::hex << bits;
}

// Every float32 whose low 13 bits are on or next to a rounding boundary of
// a normal half, for every sign/exponent/top-mantissa combination.
TEST(Float16, EncodeMatchesIeeeRneNearNormalTies) {
  const uint32_t lows[] = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x0800, 0x17ff};
  for (uint32_t top = 0; top < (1u << 19); ++top) {
    for (uint32_t low : lows) ExpectMatchesReference((top << 13) | low);
  }
}

// The binary32 exponents that land in or next to the half subnormal range
// (2^-27 .. 2^-12), where the tie bit moves with the exponent: every
// mantissa on or next to a tie, plus a dense stride through each binade.
TEST(Float16, EncodeMatchesIeeeRneSubnormalRange) {
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint32_t exp = 100; exp <= 115; ++exp) {
      const uint32_t base = (sign << 31) | (exp << 23);
      // Bits below the half's last mantissa bit: 126 - exp for subnormal
      // halves, 13 for normal ones.
      const uint32_t s = exp <= 112 ? 126 - exp : 13;
      const uint32_t low_bits = s > 23 ? 23 : s;
      const uint32_t mask = (1u << low_bits) - 1;
      const uint32_t half = s > 23 ? 0 : 1u << (s - 1);
      const uint32_t lows[] = {0, 1, mask, mask - 1, half - 1, half, half + 1};
      for (uint32_t hi = 0; hi < (1u << (23 - low_bits)); ++hi) {
        for (uint32_t low : lows) ExpectMatchesReference(base | (hi << low_bits) | (low & mask));
      }
      for (uint32_t mant = 0; mant < (1u << 23); mant += 37) ExpectMatchesReference(base | mant);
    }
  }
}

// A deterministic pseudo-random walk over all of binary32 (16M patterns).
TEST(Float16, EncodeMatchesIeeeRneSampled) {
  uint32_t x = 0x12345678u;
  for (uint32_t i = 0; i < (1u << 24); ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    ExpectMatchesReference(x);
  }
}

TEST(Float16, OverflowBoundaryAndSignedZero) {
  EXPECT_EQ(FloatToHalfBits(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalfBits(65519.99f), 0x7bff);
  EXPECT_EQ(FloatToHalfBits(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(FloatToHalfBits(65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalfBits(-65520.0f), 0xfc00);
  EXPECT_EQ(FloatToHalfBits(-65519.99f), 0xfbff);
  EXPECT_EQ(FloatToHalfBits(3.4028235e38f), 0x7c00);
  EXPECT_EQ(FloatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalfBits(-0.0f), 0x8000);
  // Below 2^-25 flushes to a signed zero; 2^-25 exactly ties to zero; just
  // above rounds up to the smallest subnormal.
  EXPECT_EQ(FloatToHalfBits(-std::ldexp(1.0f, -26)), 0x8000);
  EXPECT_EQ(FloatToHalfBits(-std::ldexp(1.0f, -25)), 0x8000);
  EXPECT_EQ(FloatToHalfBits(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(1)), 0x0000);  // smallest float subnormal
  // Ties to even in the normal range: 1 + 2^-11 is halfway between 1 and
  // 1 + 2^-10 -> 1 (even); 1 + 3 * 2^-11 -> 1 + 2^-9 (even).
  EXPECT_EQ(FloatToHalfBits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(FloatToHalfBits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  // Largest subnormal rounding up into the smallest normal.
  EXPECT_EQ(FloatToHalfBits(std::nextafter(std::ldexp(1.0f, -14), 0.0f)), 0x0400);
}

// numpy keeps the top 10 payload bits, forces a non-zero mantissa so the
// result stays NaN, and keeps the sign.
TEST(Float16, NumpyNaNRule) {
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0x7fc00000)), 0x7e00);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0xffc00000)), 0xfe00);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0x7fffffff)), 0x7fff);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0x7fc02000)), 0x7e01);
  // Payload only in the low 13 bits: would become Inf, must stay NaN.
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0x7f800001)), 0x7c01);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0xff801fff)), 0xfc01);
  EXPECT_EQ(FloatToHalfBits(FloatFromBits(0x7f802000)), 0x7c01);
  // Every float NaN stays a half NaN with the same sign.
  for (uint32_t m = 1; m < (1u << 23); m += 97) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      uint16_t h = FloatToHalfBits(FloatFromBits(sign | 0x7f800000u | m));
      ASSERT_EQ(h & 0x7c00, 0x7c00) << m;
      ASSERT_NE(h & 0x3ff, 0) << m;
      ASSERT_EQ((h & 0x8000) != 0, sign != 0) << m;
      ASSERT_EQ(h & 0x3ff, (m >> 13) ? (m >> 13) : 1u) << m;
    }
  }
}

TEST(Float16, QuantizeFloat16WritesLittleEndian) {
  const std::vector<float> x = {1.0f, -2.0f, 65520.0f, 0.1f, -0.0f, NAN};
  std::vector<uint8_t> out(12, 0xee);
  QuantizeFloat16(x, out.data());
  EXPECT_EQ(testing::Hex(out), "003c00c0007c662e0080007e");
}

}  // namespace
}  // namespace tfq
