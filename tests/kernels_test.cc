// SPDX-License-Identifier: Apache-2.0
// The fast kernels of quantize.h (tfq::ScanRange, QuantizeAffine,
// QuantizeFloat16, DecodeToFloat32) against their scalar definitions in
// tfq::reference: identical output bytes (and identical FloatRange fields,
// min/max compared as bit patterns) for every input, every length (vector
// tails, thread splits), misaligned input and output, and no write outside
// the output.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "testutil.h"
#include "tfjs_quant/quantize.h"

namespace tfq {
namespace {

using testing::BitsHex;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr size_t kBig = (size_t{1} << 20) + 3;

// Lengths that hit empty input, every vector tail, and thread splits.
const std::vector<size_t>& Lengths() {
  static const std::vector<size_t> v = {0,  1,  2,  3,  4,  5,  7,  8,   9,    15,   16,  17,
                                        31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4097, kBig};
  return v;
}

// Output canaries: the fast kernel must write exactly its output bytes.
constexpr size_t kGuard = 64;
constexpr uint8_t kCanary = 0xA5;

std::vector<float> Normal(size_t n, float sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

float Bits(uint32_t b) { return std::bit_cast<float>(b); }

// Index of the first differing byte of two equal-size buffers, or npos.
size_t FirstDiff(const uint8_t* a, const uint8_t* b, size_t n) {
  if (std::memcmp(a, b, n) == 0) return std::string::npos;
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return std::string::npos;
}

// ---------------------------------------------------------------- ScanRange

std::string RangeText(const FloatRange& r) {
  return "{min " + BitsHex(r.min) + " max " + BitsHex(r.max) + " nan " + std::to_string(r.nan_count) + " inf " +
         std::to_string(r.inf_count) + "}";
}

void ExpectSameRange(std::span<const float> x, const std::string& what) {
  const FloatRange f = ScanRange(x);
  const FloatRange r = reference::ScanRange(x);
  EXPECT_TRUE(std::bit_cast<uint32_t>(f.min) == std::bit_cast<uint32_t>(r.min) &&
              std::bit_cast<uint32_t>(f.max) == std::bit_cast<uint32_t>(r.max) && f.nan_count == r.nan_count &&
              f.inf_count == r.inf_count)
      << what << " n=" << x.size() << ": fast " << RangeText(f) << " reference " << RangeText(r);
}

// Also at offsets 1..3 (misaligned for any vector width) when long enough.
void ExpectSameRangeAllOffsets(const std::vector<float>& x, const std::string& what) {
  ExpectSameRange(x, what);
  for (size_t off = 1; off <= 3 && off <= x.size(); ++off)
    ExpectSameRange(std::span<const float>(x).subspan(off), what + " subspan(" + std::to_string(off) + ")");
}

// What the reference does, pinned down: NaN is skipped, Inf counts and takes
// part in min/max, the first non-NaN value seeds both, later values replace
// them only if strictly smaller / larger, so of -0.0 and +0.0 the first seen
// wins; all-NaN (or empty) gives min = max = +0.0.
TEST(KernelsScanRange, ReferenceSemantics) {
  auto r = reference::ScanRange(std::vector<float>{});
  EXPECT_EQ(RangeText(r), "{min 00000000 max 00000000 nan 0 inf 0}");
  r = reference::ScanRange(std::vector<float>{kNaN, -kNaN, kNaN});
  EXPECT_EQ(RangeText(r), "{min 00000000 max 00000000 nan 3 inf 0}");
  r = reference::ScanRange(std::vector<float>{-0.0f, 0.0f});
  EXPECT_EQ(RangeText(r), "{min 80000000 max 80000000 nan 0 inf 0}");
  r = reference::ScanRange(std::vector<float>{0.0f, -0.0f});
  EXPECT_EQ(RangeText(r), "{min 00000000 max 00000000 nan 0 inf 0}");
  r = reference::ScanRange(std::vector<float>{1.0f, 0.0f, -0.0f, -1.0f, -0.0f, 0.0f});
  EXPECT_EQ(RangeText(r), "{min bf800000 max 3f800000 nan 0 inf 0}");
  r = reference::ScanRange(std::vector<float>{1.0f, 0.0f, -0.0f, 0.5f});
  EXPECT_EQ(RangeText(r), "{min 00000000 max 3f800000 nan 0 inf 0}");
  r = reference::ScanRange(std::vector<float>{kNaN, -kInf, 2.0f, kInf, kNaN});
  EXPECT_EQ(RangeText(r), "{min ff800000 max 7f800000 nan 2 inf 2}");
  r = reference::ScanRange(std::vector<float>{kInf, kInf});
  EXPECT_EQ(RangeText(r), "{min 7f800000 max 7f800000 nan 0 inf 2}");
}

TEST(KernelsScanRange, RandomAllLengths) {
  const std::vector<float> base = Normal(kBig + 8, 1.0f, 1);
  for (size_t n : Lengths()) {
    std::vector<float> x(base.begin(), base.begin() + n);
    ExpectSameRangeAllOffsets(x, "random");
  }
}

TEST(KernelsScanRange, ExtremaAtEveryEnd) {
  for (size_t n : Lengths()) {
    if (n == 0) continue;
    std::vector<float> x = Normal(n, 1.0f, 2 + static_cast<uint32_t>(n));
    std::vector<float> y = x;
    y.front() = -100.0f;
    y.back() = 100.0f;
    ExpectSameRangeAllOffsets(y, "min first, max last");
    y = x;
    y.front() = 100.0f;
    y.back() = -100.0f;
    ExpectSameRangeAllOffsets(y, "max first, min last");
    // Ascending and descending: the extrema are at the two ends.
    y = x;
    std::sort(y.begin(), y.end());
    ExpectSameRangeAllOffsets(y, "ascending");
    std::reverse(y.begin(), y.end());
    ExpectSameRangeAllOffsets(y, "descending");
    // Extremum in the middle, and at each position of the first vectors.
    for (size_t pos : {n / 2, std::min<size_t>(n - 1, 5), std::min<size_t>(n - 1, 13), n - 1 - n / 3}) {
      y = x;
      y[pos] = -1e30f;
      ExpectSameRange(y, "min at " + std::to_string(pos));
      y[pos] = 1e30f;
      ExpectSameRange(y, "max at " + std::to_string(pos));
    }
  }
}

TEST(KernelsScanRange, NaNAndInf) {
  for (size_t n : Lengths()) {
    if (n == 0) continue;
    const std::vector<float> x = Normal(n, 1.0f, 3 + static_cast<uint32_t>(n));
    std::vector<float> y = x;
    y.front() = kNaN;
    ExpectSameRangeAllOffsets(y, "NaN first");
    y = x;
    y.back() = -kNaN;
    ExpectSameRangeAllOffsets(y, "NaN last");
    y = x;
    y[n / 2] = Bits(0x7f800001u);  // signalling NaN
    ExpectSameRangeAllOffsets(y, "sNaN middle");
    y = x;
    y.front() = kNaN;
    y[n / 2] = Bits(0xffc12345u);
    y.back() = kNaN;
    ExpectSameRangeAllOffsets(y, "NaN first, middle, last");
    // NaN sprinkled every 7th element (several per vector).
    y = x;
    for (size_t i = 0; i < n; i += 7) y[i] = Bits(0x7fc00000u | static_cast<uint32_t>(i & 0x3fffff));
    ExpectSameRangeAllOffsets(y, "NaN every 7th");
    y = x;
    y.front() = kInf;
    ExpectSameRangeAllOffsets(y, "+Inf first");
    y = x;
    y.back() = -kInf;
    ExpectSameRangeAllOffsets(y, "-Inf last");
    y = x;
    y[n / 2] = kInf;
    y[n / 3] = -kInf;
    y[n - 1 - n / 4] = kNaN;
    ExpectSameRangeAllOffsets(y, "+-Inf middle with NaN");
    // All NaN; all Inf; NaN then Inf only.
    y.assign(n, kNaN);
    ExpectSameRangeAllOffsets(y, "all NaN");
    for (size_t i = 0; i < n; ++i) y[i] = Bits(0x7f800001u + static_cast<uint32_t>(i % 1000));
    ExpectSameRangeAllOffsets(y, "all NaN, payloads");
    y.assign(n, kInf);
    ExpectSameRangeAllOffsets(y, "all +Inf");
    y.assign(n, -kInf);
    y.back() = kNaN;
    ExpectSameRangeAllOffsets(y, "all -Inf, NaN last");
    y.assign(n, kNaN);
    y.back() = 3.0f;
    ExpectSameRangeAllOffsets(y, "NaN then one value last");
    y.assign(n, kNaN);
    y[n / 2] = -kInf;
    ExpectSameRangeAllOffsets(y, "NaN and one -Inf");
  }
}

// -0.0 and +0.0 compare equal; the reference keeps whichever comes first. A
// vector min/max (minps, or a reduction across lanes or threads) must keep
// the same one wherever the two zeros fall.
TEST(KernelsScanRange, SignedZero) {
  for (size_t n : Lengths()) {
    if (n < 2) continue;
    std::vector<size_t> positions = {0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, n / 2, n / 2 + 1, n - 2, n - 1};
    if (n > 1000) positions.insert(positions.end(), {n / 3, n / 4, n / 8, n - 1 - n / 3});
    std::erase_if(positions, [&](size_t p) { return p >= n; });
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    for (float sign : {1.0f, -1.0f}) {
      // Zeros are the minimum (other values positive) or the maximum (negative).
      std::vector<float> x(n);
      std::mt19937 rng(static_cast<uint32_t>(n));
      std::uniform_real_distribution<float> d(0.5f, 2.0f);
      for (float& f : x) f = sign * d(rng);
      for (size_t i : positions) {
        for (size_t j : positions) {
          if (j <= i) continue;
          // Every pair for short arrays, a sample for long ones.
          if (n > 65 && (i * 31 + j) % (n > 5000 ? 11 : 3) != 0) continue;
          for (bool neg_first : {false, true}) {
            x[i] = neg_first ? -0.0f : 0.0f;
            x[j] = neg_first ? 0.0f : -0.0f;
            ExpectSameRange(x, std::string(sign > 0 ? "zeros are min" : "zeros are max") + " " +
                                   (neg_first ? "-0" : "+0") + "@" + std::to_string(i) + " " +
                                   (neg_first ? "+0" : "-0") + "@" + std::to_string(j));
            x[i] = sign * d(rng);
            x[j] = sign * d(rng);
          }
        }
      }
      // Zeros everywhere, alternating or in runs, first sign either way.
      std::vector<float> y(n);
      for (size_t i = 0; i < n; ++i) y[i] = (i % 2) ? -0.0f : 0.0f;
      ExpectSameRangeAllOffsets(y, "alternating +0 -0");
      for (size_t i = 0; i < n; ++i) y[i] = ((i / 5) % 2) ? 0.0f : -0.0f;
      ExpectSameRangeAllOffsets(y, "runs -0 +0");
      y.assign(n, 0.0f);
      y.back() = -0.0f;
      ExpectSameRangeAllOffsets(y, "+0 ... -0");
      y.assign(n, -0.0f);
      y.back() = 0.0f;
      ExpectSameRangeAllOffsets(y, "-0 ... +0");
      y.assign(n, kNaN);
      y[n / 2] = -0.0f;
      y.back() = 0.0f;
      ExpectSameRange(y, "NaN ... -0 ... +0");
      // Zeros with values of both signs: zeros are neither min nor max.
      y = x;
      y[0] = -sign;
      y[n / 2] = -0.0f;
      y[n - 1] = 0.0f;
      ExpectSameRange(y, "zeros inside");
    }
  }
}

TEST(KernelsScanRange, Subnormals) {
  std::mt19937 rng(7);
  for (size_t n : Lengths()) {
    std::vector<float> x(n);
    for (float& f : x) f = Bits((rng() & 0x807fffffu) | 1u);  // nonzero subnormal, either sign
    ExpectSameRangeAllOffsets(x, "subnormals");
    for (float& f : x) f = Bits(rng() & 0x007fffffu);  // positive subnormal or +0
    ExpectSameRangeAllOffsets(x, "positive subnormals");
    if (n > 2) {
      x[n / 2] = Bits(0x80000001u);
      x[n - 1] = -0.0f;
      ExpectSameRangeAllOffsets(x, "subnormals with -min subnormal");
    }
  }
}

// ------------------------------------------------------------ QuantizeAffine

uint32_t QMax(Encoding e) { return e == Encoding::kUint8 ? 255 : 65535; }
const char* EncName(Encoding e) { return e == Encoding::kUint8 ? "uint8" : "uint16"; }
const char* ArithName(Arithmetic a) { return a == Arithmetic::kFloat64 ? "float64" : "numpy1-float32"; }

// Runs both kernels on x with p, output at byte offset `out_off` of a canary
// buffer, and compares bytes.
void ExpectSameAffineAt(std::span<const float> x, const AffineParams& p, Encoding enc, Arithmetic arith,
                        size_t out_off, const std::string& what) {
  const size_t es = enc == Encoding::kUint8 ? 1 : 2;
  const size_t bytes = x.size() * es;
  std::vector<uint8_t> ref(bytes + 1), fast(out_off + bytes + kGuard, kCanary);
  reference::QuantizeAffine(x, p, enc, arith, ref.data());
  QuantizeAffine(x, p, enc, arith, fast.data() + out_off);
  const std::string where = what + " " + EncName(enc) + " " + ArithName(arith) + " n=" + std::to_string(x.size()) +
                            " out+" + std::to_string(out_off);
  const size_t d = FirstDiff(fast.data() + out_off, ref.data(), bytes);
  if (d != std::string::npos) {
    const size_t i = d / es;
    ADD_FAILURE() << where << ": first difference at element " << i << " x=" << BitsHex(x[i]) << " ("
                  << x[i] << ") fast byte " << int{fast[out_off + d]} << " reference byte " << int{ref[d]}
                  << "; min=" << p.min << " scale=" << p.scale << " max=" << p.max;
  }
  for (size_t i = 0; i < out_off; ++i)
    if (fast[i] != kCanary) {
      ADD_FAILURE() << where << ": wrote before the output";
      break;
    }
  for (size_t i = out_off + bytes; i < fast.size(); ++i)
    if (fast[i] != kCanary) {
      ADD_FAILURE() << where << ": wrote past the output at +" << (i - out_off - bytes);
      break;
    }
}

void ExpectSameAffine(std::span<const float> x, const AffineParams& p, Encoding enc, Arithmetic arith,
                      const std::string& what) {
  ExpectSameAffineAt(x, p, enc, arith, 0, what);
  if (!x.empty()) {
    ExpectSameAffineAt(x, p, enc, arith, 1, what);
    ExpectSameAffineAt(x.subspan(1), p, enc, arith, 3, what + " subspan(1)");
  }
}

// Both encodings and both arithmetics, params from the data's range.
void ExpectSameAffineAll(std::span<const float> x, const std::string& what) {
  const FloatRange r = reference::ScanRange(x);
  ASSERT_TRUE(r.finite()) << what;
  for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
    const AffineParams p = ComputeAffineParams(r.min, r.max, QMax(enc));
    for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32}) ExpectSameAffine(x, p, enc, a, what);
  }
}

TEST(KernelsQuantizeAffine, SpecVectors) {
  const std::vector<std::vector<float>> vectors = {
      {-1.0f, -0.1f, 0.0f, 0.5f, 1.2f}, {0.0f, -0.1f, 1.2f},      {0.5f, 1.0f, 1.5f, 2.0f, 3.25f},
      {0.0f, 0.25f, 0.5f, 1.0f},        {-3.0f, -2.5f, -1.0f, -0.25f}, {-1.0f, -0.5f, 0.0f},
      {0.7f, 0.7f, 0.7f},               {3.5f}};
  for (const auto& x : vectors) ExpectSameAffineAll(x, "spec vector " + testing::BitsHex(x));
}

TEST(KernelsQuantizeAffine, RandomNormalLarge) {
  const std::vector<float> x = Normal((size_t{1} << 20) + 5, 0.05f, 11);
  const FloatRange r = reference::ScanRange(x);
  for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
    const AffineParams p = ComputeAffineParams(r.min, r.max, QMax(enc));
    for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32}) {
      ExpectSameAffineAt(x, p, enc, a, 0, "N(0,0.05)");
      ExpectSameAffineAt(std::span<const float>(x).subspan(1), p, enc, a, 1, "N(0,0.05) subspan(1)");
    }
  }
}

TEST(KernelsQuantizeAffine, AllLengths) {
  const std::vector<float> base = Normal(kBig + 4, 0.05f, 12);
  for (size_t n : Lengths()) {
    if (n == kBig) continue;  // covered by RandomNormalLarge
    std::vector<float> x(base.begin(), base.begin() + n);
    // Fixed params (those of the whole base array) so n = 0 and 1 work too.
    const FloatRange r = reference::ScanRange(base);
    for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
      const AffineParams p = ComputeAffineParams(r.min, r.max, QMax(enc));
      for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32}) ExpectSameAffine(x, p, enc, a, "prefix");
    }
    if (n > 0) ExpectSameAffineAll(x, "own range");
  }
}

// Values that round to k + 0.5 codes: float(min + (k + 0.5) * scale) and its
// float neighbours, for every code k, with params from a real nudged range.
std::vector<float> TieValues(const AffineParams& p, uint32_t qmax, bool every_code) {
  std::vector<float> v;
  const uint32_t step = every_code ? 1 : std::max<uint32_t>(1, qmax / 4096);
  for (uint32_t k = 0; k < qmax; k += step) {
    const float t = static_cast<float>(p.min + (k + 0.5) * p.scale);
    v.push_back(t);
    v.push_back(std::nextafter(t, kInf));
    v.push_back(std::nextafter(t, -kInf));
    // Also the tie in float32 arithmetic (numpy 1).
    const float t32 = static_cast<float>(p.min) + (static_cast<float>(k) + 0.5f) * static_cast<float>(p.scale);
    v.push_back(t32);
    // Exact codes.
    v.push_back(static_cast<float>(p.min + k * p.scale));
  }
  return v;
}

TEST(KernelsQuantizeAffine, TiesFromRealParams) {
  struct Range {
    float min, max;
  };
  const FloatRange nr = reference::ScanRange(Normal(100000, 0.05f, 13));
  const std::vector<Range> ranges = {
      {nr.min, nr.max},      {-1.0f, 1.2f},  {-0.1f, 1.2f},   {0.5f, 3.25f},    {-3.0f, -0.25f},
      {-1.0f, 0.0f},         {0.0f, 1.0f},   {-7.3f, 0.011f}, {-0.013f, 5.9f},  {1e-3f, 2e-3f},
      {-1e-38f, 3e-38f},     {-3e4f, 6e4f},  {0.1f, 0.2f},    {-0.2f, -0.1f},   {-1e30f, 1e30f}};
  for (const Range& rg : ranges) {
    for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
      const AffineParams p = ComputeAffineParams(rg.min, rg.max, QMax(enc));
      std::vector<float> x = TieValues(p, QMax(enc), true);
      // Shuffle so ties land in every lane.
      std::shuffle(x.begin(), x.end(), std::mt19937(14));
      for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32})
        ExpectSameAffine(x, p, enc, a, "ties [" + BitsHex(rg.min) + ", " + BitsHex(rg.max) + "]");
    }
  }
}

// Ranges whose scale is a small multiple of a power of two, so that every
// (v - min) / scale = k + 0.5 exactly, in float64 and in float32: the result
// is decided by round-half-to-even alone.
TEST(KernelsQuantizeAffine, ExactHalfQuotients) {
  struct Exact {
    double min;   // exact in float
    double unit;  // scale = unit, exact; mult * qmax * unit exact in float
    const char* label;
  };
  for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
    const uint32_t qmax = QMax(enc);
    const double pow2 = enc == Encoding::kUint8 ? 1.0 / 256 : 1.0 / 65536;
    const std::vector<Exact> cases = {
        {-0.5, pow2, "straddles 0 (zero point 128/32768)"},
        {-0.375 * 4, 3 * pow2 * 4, "scale 3*2^-k"},
        {0.25, pow2, "positive (no nudge)"},
        {-1.5, pow2, "negative (no nudge)"},
        {-3.0, pow2 * 2, "negative ending below 0"},
        {0.0, pow2, "min 0 (min -0.0)"},
        {-static_cast<double>(qmax) * pow2, pow2, "max 0"},
    };
    for (const Exact& c : cases) {
      const float mn = static_cast<float>(c.min);
      const float mx = static_cast<float>(c.min + qmax * c.unit);
      ASSERT_EQ(static_cast<double>(mx), c.min + qmax * c.unit) << c.label;
      const AffineParams p = ComputeAffineParams(mn, mx, qmax);
      ASSERT_EQ(p.scale, c.unit) << c.label;
      std::vector<float> x;
      for (uint32_t k = 0; k < qmax; ++k) {
        const double t = p.min + (k + 0.5) * p.scale;
        ASSERT_EQ(static_cast<double>(static_cast<float>(t)), t) << c.label << " k=" << k;
        ASSERT_EQ((static_cast<double>(static_cast<float>(t)) - p.min) / p.scale, k + 0.5) << c.label;
        x.push_back(static_cast<float>(t));
        x.push_back(static_cast<float>(p.min + k * p.scale));
      }
      x.push_back(static_cast<float>(p.max));
      x.push_back(-0.0f);
      x.push_back(0.0f);
      std::vector<float> shuffled = x;
      std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(15));
      for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32}) {
        ExpectSameAffine(x, p, enc, a, std::string("exact halves, ") + c.label);
        ExpectSameAffine(shuffled, p, enc, a, std::string("exact halves shuffled, ") + c.label);
      }
    }
  }
}

// The clip bounds and beyond, -0.0 and subnormals, for nudged and un-nudged
// params.
TEST(KernelsQuantizeAffine, ClipBoundsZerosSubnormals) {
  struct Range {
    float min, max;
  };
  const std::vector<Range> ranges = {{-1.0f, 1.2f}, {-0.1f, 1.2f}, {0.5f, 3.25f},  {-3.0f, -0.25f},
                                     {-1.0f, 0.0f}, {0.0f, 1.0f},  {-0.0f, 1.0f}, {-1e-40f, 1e-40f},
                                     {1e-40f, 2e-40f}, {-0.05f, 0.3f}};
  for (const Range& rg : ranges) {
    for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
      const AffineParams p = ComputeAffineParams(rg.min, rg.max, QMax(enc));
      std::vector<float> x;
      for (double b : {p.min, p.max, static_cast<double>(rg.min), static_cast<double>(rg.max)}) {
        float f = static_cast<float>(b);
        for (int i = 0; i < 4; ++i) f = std::nextafter(f, -kInf);
        for (int i = 0; i < 9; ++i, f = std::nextafter(f, kInf)) x.push_back(f);
      }
      for (float f : {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -1e-40f, 1.17e-38f, -1.17e-38f, 1e30f, -1e30f,
                      std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(), 1e6f, -1e6f,
                      rg.min * 2, rg.max * 2, rg.min - 1, rg.max + 1})
        x.push_back(f);
      std::mt19937 rng(16);
      for (int i = 0; i < 200; ++i) x.push_back(Bits((rng() & 0x807fffffu)));  // subnormals and zeros
      // Repeat shuffled so every value meets every lane.
      std::vector<float> all;
      for (int r = 0; r < 8; ++r) {
        std::shuffle(x.begin(), x.end(), rng);
        all.insert(all.end(), x.begin(), x.end());
      }
      for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32})
        ExpectSameAffine(all, p, enc, a, "bounds [" + BitsHex(rg.min) + ", " + BitsHex(rg.max) + "]");
    }
  }
}

TEST(KernelsQuantizeAffine, Constant) {
  for (float c : {0.7f, 0.0f, -0.0f, -3.0f, 1e-40f, 65504.0f}) {
    for (Encoding enc : {Encoding::kUint8, Encoding::kUint16}) {
      const AffineParams p = ComputeAffineParams(c, c, QMax(enc));
      ASSERT_TRUE(p.constant);
      for (size_t n : {size_t{1}, size_t{3}, size_t{17}, size_t{65}, size_t{4097}}) {
        std::vector<float> x(n, c);
        for (Arithmetic a : {Arithmetic::kFloat64, Arithmetic::kNumpy1Float32}) {
          ExpectSameAffine(x, p, enc, a, "constant " + BitsHex(c));
          // The constant case writes zeros whatever the data.
          const std::vector<float> other = Normal(n, 1.0f, 17);
          ExpectSameAffine(other, p, enc, a, "constant params, other data");
        }
      }
    }
  }
}

TEST(KernelsQuantizeAffine, OtherDistributions) {
  std::mt19937 rng(18);
  const size_t n = 100003;
  std::vector<float> x(n);
  std::uniform_real_distribution<float> u(-3.0f, 7.0f);
  for (float& f : x) f = u(rng);
  ExpectSameAffineAll(x, "uniform [-3, 7)");
  std::uniform_real_distribution<float> up(0.5f, 9.0f);
  for (float& f : x) f = up(rng);
  ExpectSameAffineAll(x, "uniform positive");
  for (float& f : x) f = -up(rng);
  ExpectSameAffineAll(x, "uniform negative");
  // Wide exponents: sign * 2^[-30, 30] * mantissa.
  for (float& f : x) f = Bits((rng() & 0x807fffffu) | ((97u + rng() % 60u) << 23));
  ExpectSameAffineAll(x, "wide exponents");
  // Few distinct values (codes land exactly on grid points).
  for (float& f : x) f = static_cast<float>(static_cast<int>(rng() % 11) - 5) * 0.25f;
  ExpectSameAffineAll(x, "grid");
}

// ------------------------------------------------------------ QuantizeFloat16

void ExpectSameFloat16At(std::span<const float> x, size_t out_off, const std::string& what) {
  const size_t bytes = 2 * x.size();
  std::vector<uint8_t> ref(bytes + 1), fast(out_off + bytes + kGuard, kCanary);
  reference::QuantizeFloat16(x, ref.data());
  QuantizeFloat16(x, fast.data() + out_off);
  const std::string where = what + " n=" + std::to_string(x.size()) + " out+" + std::to_string(out_off);
  const size_t d = FirstDiff(fast.data() + out_off, ref.data(), bytes);
  if (d != std::string::npos) {
    const size_t i = d / 2;
    const auto h = [&](const uint8_t* p) { return static_cast<unsigned>(p[2 * i] | (p[2 * i + 1] << 8)); };
    ADD_FAILURE() << where << ": first difference at element " << i << " x=" << BitsHex(x[i]) << " fast 0x"
                  << std::hex << h(fast.data() + out_off) << " reference 0x" << h(ref.data()) << std::dec;
  }
  for (size_t i = 0; i < out_off; ++i)
    if (fast[i] != kCanary) {
      ADD_FAILURE() << where << ": wrote before the output";
      break;
    }
  for (size_t i = out_off + bytes; i < fast.size(); ++i)
    if (fast[i] != kCanary) {
      ADD_FAILURE() << where << ": wrote past the output at +" << (i - out_off - bytes);
      break;
    }
}

void ExpectSameFloat16(std::span<const float> x, const std::string& what) {
  ExpectSameFloat16At(x, 0, what);
  if (!x.empty()) ExpectSameFloat16At(x.subspan(1), 1, what + " subspan(1)");
}

std::vector<float> FromBits(const std::vector<uint32_t>& b) {
  std::vector<float> v(b.size());
  std::memcpy(v.data(), b.data(), 4 * b.size());
  return v;
}

TEST(KernelsFloat16, StridedSweep) {
  std::vector<uint32_t> b;
  b.reserve((uint64_t{1} << 32) / 4099 + 2);
  for (uint64_t u = 0; u <= 0xffffffffu; u += 4099) b.push_back(static_cast<uint32_t>(u));
  b.push_back(0xffffffffu);
  ExpectSameFloat16(FromBits(b), "every 4099th pattern");
  // A second stride, offset, so low mantissa bits vary differently.
  b.clear();
  for (uint64_t u = 1234567; u <= 0xffffffffu; u += 65537) b.push_back(static_cast<uint32_t>(u));
  ExpectSameFloat16(FromBits(b), "every 65537th pattern from 1234567");
}

TEST(KernelsFloat16, Neighbourhoods) {
  std::vector<uint32_t> centers;
  for (float f : {65504.0f, 65520.0f, 65536.0f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 0x1p-15f,
                  1.0f, 2048.0f, 0x1.ffcp-15f})
    centers.push_back(std::bit_cast<uint32_t>(f));
  centers.push_back(0x00000000u);  // zero and float32 subnormals
  centers.push_back(0x00800000u);  // smallest float32 normal
  centers.push_back(0x7f800000u);  // Inf / NaN boundary
  centers.push_back(0x7f7fffffu);  // float max
  std::vector<uint32_t> b;
  for (uint32_t c : centers)
    for (uint32_t sign : {0u, 0x80000000u})
      for (int64_t d = -8192; d <= 8192; ++d) {
        const int64_t u = static_cast<int64_t>(c) + d;
        if (u < 0 || u > 0x7fffffff) continue;
        b.push_back(static_cast<uint32_t>(u) | sign);
      }
  ExpectSameFloat16(FromBits(b), "neighbourhoods");
}

// Round-to-nearest-even ties and their neighbours at every float32 exponent
// that maps to a finite half or half subnormal (or just beyond), for each
// possible position of the rounding bit.
TEST(KernelsFloat16, RoundingTies) {
  std::vector<uint32_t> b;
  std::mt19937 rng(19);
  for (uint32_t e = 96; e <= 145; ++e) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      const uint32_t base = sign | (e << 23);
      // Every low-13-bit pattern (normal halves round at bit 13) under a few
      // kept mantissas, even and odd.
      for (uint32_t hi : {0u, 1u, 2u, 3u, 0x155u, 0x2aau, 0x3feu, 0x3ffu})
        for (uint32_t lo = 0; lo < 0x2000u; lo += (lo < 0x20 || lo > 0x1fe0 || (lo > 0xfe0 && lo < 0x1020)) ? 1 : 7)
          b.push_back(base | (hi << 13) | lo);
      // Ties at every bit position (half subnormals round at bits 14..24).
      for (uint32_t bit = 0; bit < 23; ++bit) {
        const uint32_t t = 1u << bit;
        for (uint32_t above : {0u, 1u, 2u, 3u, 5u, 0x7fu}) {
          const uint32_t m0 = (above << (bit + 1)) & 0x7fffffu;
          for (uint32_t m : {m0 | t, m0 | (t - 1), m0 | (t + 1), m0 | t | (t >> 1), m0})
            b.push_back(base | (m & 0x7fffffu));
        }
      }
      for (int i = 0; i < 64; ++i) b.push_back(base | (rng() & 0x7fffffu));
    }
  }
  std::vector<uint32_t> s = b;
  std::shuffle(s.begin(), s.end(), rng);
  ExpectSameFloat16(FromBits(b), "ties");
  ExpectSameFloat16(FromBits(s), "ties shuffled");
}

TEST(KernelsFloat16, SpecialsAndNaNPayloads) {
  std::vector<uint32_t> b = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                             0x7f800001u, 0xff800001u, 0x7f801fffu, 0x7f802000u, 0x7fbfffffu, 0x7fffffffu,
                             0xffffffffu, 0x7fc00001u, 0x7fe00000u, 0x7f900000u, 0x00000001u, 0x807fffffu,
                             0x00400000u, 0x80000001u};
  std::mt19937 rng(20);
  for (int i = 0; i < 20000; ++i) b.push_back((rng() & 0x807fffffu) | 0x7f800000u | 1u);  // NaN, any payload
  for (int i = 0; i < 20000; ++i) b.push_back(rng() & 0x807fffffu);                       // float32 subnormal
  for (uint32_t p = 1; p < 0x2000u; ++p) b.push_back(0x7f800000u | p);  // payload only in dropped bits
  ExpectSameFloat16(FromBits(b), "specials");
  std::shuffle(b.begin(), b.end(), rng);
  ExpectSameFloat16(FromBits(b), "specials shuffled");
}

TEST(KernelsFloat16, AllLengths) {
  std::vector<float> base = Normal(kBig + 4, 0.05f, 21);
  base[7] = kNaN;
  base[kBig / 2] = 1e6f;
  base[kBig - 1] = -0.0f;
  for (size_t n : Lengths()) ExpectSameFloat16(std::span<const float>(base).first(n), "prefix");
}

// ------------------------------------------------------------ DecodeToFloat32

std::string Repr(double d) {
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", d);
  return b;
}

void ExpectSameDecodeAt(Encoding enc, const uint8_t* stored, size_t n, double min, double scale, size_t out_off,
                        const std::string& what) {
  std::vector<float> ref(n + 1);
  // Canary floats around the output (compared as bytes).
  std::vector<float> fast(out_off + n + kGuard / 4);
  std::memset(fast.data(), kCanary, fast.size() * 4);
  reference::DecodeToFloat32(enc, stored, n, min, scale, ref.data());
  DecodeToFloat32(enc, stored, n, min, scale, fast.data() + out_off);
  const std::string where = what + " " + std::string(EncodingName(enc)) + " n=" + std::to_string(n) + " out+" +
                            std::to_string(out_off) + " min=" + Repr(min) + " scale=" + Repr(scale);
  const size_t d = FirstDiff(reinterpret_cast<const uint8_t*>(fast.data() + out_off),
                             reinterpret_cast<const uint8_t*>(ref.data()), 4 * n);
  if (d != std::string::npos) {
    const size_t i = d / 4;
    ADD_FAILURE() << where << ": first difference at element " << i << " fast " << BitsHex(fast[out_off + i])
                  << " reference " << BitsHex(ref[i]);
  }
  const uint8_t* f = reinterpret_cast<const uint8_t*>(fast.data());
  for (size_t i = 0; i < 4 * out_off; ++i)
    if (f[i] != kCanary) {
      ADD_FAILURE() << where << ": wrote before the output";
      break;
    }
  for (size_t i = 4 * (out_off + n); i < 4 * fast.size(); ++i)
    if (f[i] != kCanary) {
      ADD_FAILURE() << where << ": wrote past the output";
      break;
    }
}

// Aligned, then with stored bytes at an odd address and output one float off.
void ExpectSameDecode(Encoding enc, const std::vector<uint8_t>& stored, double min, double scale,
                      const std::string& what) {
  const size_t es = enc == Encoding::kRaw ? 4 : EncodingElementBytes(enc);
  const size_t n = stored.size() / es;
  ExpectSameDecodeAt(enc, stored.data(), n, min, scale, 0, what);
  std::vector<uint8_t> shifted(stored.size() + 1);
  if (!stored.empty()) std::memcpy(shifted.data() + 1, stored.data(), stored.size());
  ExpectSameDecodeAt(enc, shifted.data() + 1, n, min, scale, 1, what + " stored+1");
}

// (min, scale) pairs: converter params (nudged and not) and plain numbers,
// including ones whose results overflow float32 or are float32 subnormals.
std::vector<std::pair<double, double>> DecodeParams(Encoding enc) {
  std::vector<std::pair<double, double>> v;
  const uint32_t qmax = QMax(enc);
  const FloatRange nr = reference::ScanRange(Normal(100000, 0.05f, 22));
  for (auto [mn, mx] : std::vector<std::pair<float, float>>{{nr.min, nr.max},
                                                            {-1.0f, 1.2f},
                                                            {-0.1f, 1.2f},
                                                            {0.5f, 3.25f},
                                                            {-3.0f, -0.25f},
                                                            {0.0f, 1.0f},
                                                            {-1.0f, 0.0f},
                                                            {-7.3f, 0.011f},
                                                            {0.7f, 0.7f},
                                                            {-1e-38f, 3e-38f},
                                                            {-3e38f, 3e38f}}) {
    const AffineParams p = ComputeAffineParams(mn, mx, qmax);
    v.emplace_back(p.min, p.scale);
  }
  v.emplace_back(0.0, 1.0);
  v.emplace_back(-0.0, 1.0 / qmax);
  v.emplace_back(-0.0, 0.0);
  v.emplace_back(1.0, -0.1);
  v.emplace_back(-3e38, 1e37);       // overflows float32 to +Inf near the top
  v.emplace_back(0.0, 1e-45);        // float32 subnormal results
  v.emplace_back(-1e-42, 3e-45);
  v.emplace_back(0.1, 0.1);          // double sums that round to float ties
  v.emplace_back(-0.5000000298023224, 1.0 / 3);
  return v;
}

TEST(KernelsDecode, Uint8AllCodes) {
  std::vector<uint8_t> codes;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 256; ++c) codes.push_back(static_cast<uint8_t>(r == 1 ? 255 - c : c));
  std::mt19937 rng(23);
  std::vector<uint8_t> random(70001);
  for (auto& c : random) c = static_cast<uint8_t>(rng());
  for (auto [mn, sc] : DecodeParams(Encoding::kUint8)) {
    ExpectSameDecode(Encoding::kUint8, codes, mn, sc, "all codes");
    ExpectSameDecode(Encoding::kUint8, random, mn, sc, "random codes");
  }
}

TEST(KernelsDecode, Uint16AllCodes) {
  std::vector<uint8_t> codes;
  for (uint32_t c = 0; c < 65536; ++c) {
    codes.push_back(static_cast<uint8_t>(c));
    codes.push_back(static_cast<uint8_t>(c >> 8));
  }
  for (auto [mn, sc] : DecodeParams(Encoding::kUint16)) ExpectSameDecode(Encoding::kUint16, codes, mn, sc, "all codes");
}

TEST(KernelsDecode, Float16AllCodes) {
  std::vector<uint8_t> codes;
  for (uint32_t c = 0; c < 65536; ++c) {
    codes.push_back(static_cast<uint8_t>(c));
    codes.push_back(static_cast<uint8_t>(c >> 8));
  }
  // min and scale are ignored for float16; pass odd ones to prove it.
  ExpectSameDecode(Encoding::kFloat16, codes, 0.0, 1.0, "all halves");
  ExpectSameDecode(Encoding::kFloat16, codes, -3.5, 0.25, "all halves, min/scale set");
}

TEST(KernelsDecode, RawBits) {
  std::mt19937 rng(24);
  std::vector<uint32_t> words;
  for (int i = 0; i < 65536; ++i) words.push_back(rng());
  for (uint32_t w : {0x7f800001u, 0xff800001u, 0x7fbfffffu, 0x7fc00000u, 0xffc00001u, 0x7fffffffu, 0xffffffffu,
                     0x7f800000u, 0xff800000u, 0x00000001u, 0x80000000u, 0x00000000u})
    for (int i = 0; i < 9; ++i) words.push_back(w);  // signalling NaNs must keep their bits
  for (int i = 0; i < 4096; ++i) words.push_back(0x7f800000u | (rng() & 0x807fffffu) | 1u);
  std::shuffle(words.begin(), words.end(), rng);
  std::vector<uint8_t> bytes;
  for (uint32_t w : words)
    for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<uint8_t>(w >> (8 * k)));
  ExpectSameDecode(Encoding::kRaw, bytes, 0.0, 1.0, "random words");
}

TEST(KernelsDecode, AllLengths) {
  std::mt19937 rng(25);
  std::vector<uint8_t> base(4 * (kBig + 4));
  for (auto& c : base) c = static_cast<uint8_t>(rng());
  const AffineParams p8 = ComputeAffineParams(-0.13f, 0.17f, 255);
  const AffineParams p16 = ComputeAffineParams(-0.13f, 0.17f, 65535);
  for (size_t n : Lengths()) {
    const std::string w = "prefix";
    ExpectSameDecode(Encoding::kUint8, std::vector<uint8_t>(base.begin(), base.begin() + n), p8.min, p8.scale, w);
    ExpectSameDecode(Encoding::kUint16, std::vector<uint8_t>(base.begin(), base.begin() + 2 * n), p16.min,
                     p16.scale, w);
    ExpectSameDecode(Encoding::kFloat16, std::vector<uint8_t>(base.begin(), base.begin() + 2 * n), 0, 1, w);
    ExpectSameDecode(Encoding::kRaw, std::vector<uint8_t>(base.begin(), base.begin() + 4 * n), 0, 1, w);
  }
}

}  // namespace
}  // namespace tfq

namespace tfq {
namespace {

// TFJS_QUANT_KERNELS=portable (ctest's kernels_portable) runs this file's
// tests on the plain loops WebAssembly runs; this checks the switch took.
const bool kPortableForced = [] {
  const char* k = std::getenv("TFJS_QUANT_KERNELS");
  const bool forced = k && std::string(k) == "portable";
  if (forced) SetKernelPath(KernelPath::kPortable);
  return forced;
}();

TEST(PortablePath, SelectedWhenAsked) {
  if (kPortableForced) {
    EXPECT_STREQ(KernelPathInUse(), "portable");
  } else {
    SetKernelPath(KernelPath::kPortable);
    EXPECT_STREQ(KernelPathInUse(), "portable");
    SetKernelPath(KernelPath::kAuto);
  }
}

TEST(PortablePath, Float16OfLargeValuesAndSpecials) {
  // The subnormal lane of the float16 encoder must not convert |x| >= 128
  // (or Inf/NaN) to int: UBSan checks this; the bytes are checked here.
  const std::vector<float> x = {128.0f, -1e6f, 65504.0f, 65520.0f, std::numeric_limits<float>::infinity(),
                                -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                                3e38f, 1e-8f, 5.96e-8f};
  std::vector<uint8_t> fast(2 * x.size()), ref(2 * x.size());
  QuantizeFloat16(x, fast.data());
  reference::QuantizeFloat16(x, ref.data());
  EXPECT_EQ(fast, ref);
}

}  // namespace
}  // namespace tfq
