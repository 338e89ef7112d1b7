// SPDX-License-Identifier: Apache-2.0
// The fast kernels. Each computes exactly what its tfq::reference twin does
// (tests/kernels_test.cc compares them byte for byte), written as
// branch-free loops over independent lanes that the compiler vectorizes.
// On x86-64 each loop body is compiled twice, for the baseline and for AVX2
// (with F16C for float16), and the AVX2 one is called when the CPU has it,
// unless SetKernelPath(kPortable) asks for the baseline: that is the code
// every other target, WebAssembly included, runs, so it is tested on this
// machine too. TFJS_QUANT_PORTABLE=ON builds only the baseline. Exactness
// rests on:
// - no fused multiply-add (-ffp-contract=off, and "avx2" does not enable FMA);
// - round-half-even of a non-negative double t < 2^52 as (t + 2^52) - 2^52
//   (and of a float t < 2^23 as (t + 2^23) - 2^23), which is what nearbyint
//   does under the default rounding mode, without a libm call per element;
// - min/max by "v < m ? v : m", which is how minps/maxps treat NaN and
//   equal values, with the one case lanes could change (an extreme that is
//   a signed zero) redone by the reference.
#include <atomic>
#include <bit>
#include <cstring>

#include "tfjs_quant/quantize.h"
#include "util/bits.h"

#if !defined(TFJS_QUANT_PORTABLE) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TFQ_X86 1
#include <cpuid.h>
#include <immintrin.h>
#define TFQ_AVX2 __attribute__((target("avx2")))
#else
#define TFQ_X86 0
#endif
// The loop bodies: inlined into both the baseline and the AVX2 function.
#define TFQ_BODY __attribute__((always_inline)) inline

namespace tfq {
namespace {

constexpr size_t kLanes = 16;

std::atomic<bool> g_portable{false};

#if TFQ_X86
bool UseAvx2() {
  static const bool cpu = __builtin_cpu_supports("avx2");
  return cpu && !g_portable.load(std::memory_order_relaxed);
}
bool UseF16c() {
  // CPUID leaf 1, ECX bit 29 (clang has no __builtin_cpu_supports("f16c")).
  static const bool cpu = [] {
    unsigned a, b, c, d;
    return __builtin_cpu_supports("avx2") && __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
  }();
  return cpu && !g_portable.load(std::memory_order_relaxed);
}
#endif

static_assert(std::endian::native == std::endian::little, "the kernels store little-endian codes with memcpy");

}  // namespace

void SetKernelPath(KernelPath path) { g_portable.store(path == KernelPath::kPortable, std::memory_order_relaxed); }

const char* KernelPathInUse() {
#if TFQ_X86
  if (UseF16c()) return "avx2+f16c";
  if (UseAvx2()) return "avx2";
#endif
  return "portable";
}

namespace {

TFQ_BODY FloatRange ScanRangeBody(std::span<const float> x) {
  const size_t n = x.size();
  const float* p = x.data();
  float lo[kLanes], hi[kLanes];
  uint32_t nan[kLanes] = {}, inf[kLanes] = {};
  for (size_t l = 0; l < kLanes; ++l) {
    lo[l] = __builtin_inff();
    hi[l] = -__builtin_inff();
  }
  size_t i = 0;
  // Counts per lane are 32-bit: blocks of at most 2^31 elements per lane
  // would overflow, so large inputs are scanned in pieces.
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      const float v = p[i + l];
      const uint32_t b = BitCast<uint32_t>(v) & 0x7fffffffu;
      nan[l] += b > 0x7f800000u;
      inf[l] += b == 0x7f800000u;
      lo[l] = v < lo[l] ? v : lo[l];
      hi[l] = v > hi[l] ? v : hi[l];
    }
  }
  FloatRange r;
  size_t nan_count = 0, inf_count = 0;
  float mn = __builtin_inff(), mx = -__builtin_inff();
  for (size_t l = 0; l < kLanes; ++l) {
    nan_count += nan[l];
    inf_count += inf[l];
    mn = lo[l] < mn ? lo[l] : mn;
    mx = hi[l] > mx ? hi[l] : mx;
  }
  for (; i < n; ++i) {
    const float v = p[i];
    const uint32_t b = BitCast<uint32_t>(v) & 0x7fffffffu;
    nan_count += b > 0x7f800000u;
    inf_count += b == 0x7f800000u;
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  // Which of -0.0 and +0.0 is "the" minimum depends on the order of
  // comparisons; the reference keeps the first one seen. Rare: redo it.
  // The reference also reports 0/0 when every value is NaN, and an
  // all-Inf tensor needs no special case (the sentinels are exact).
  if (mn == 0.0f || mx == 0.0f || nan_count == n || n > (size_t{1} << 31)) return reference::ScanRange(x);
  r.min = mn;
  r.max = mx;
  r.nan_count = nan_count;
  r.inf_count = inf_count;
  return r;
}

FloatRange ScanRangePlain(std::span<const float> x) { return ScanRangeBody(x); }
#if TFQ_X86
TFQ_AVX2 FloatRange ScanRangeAvx2(std::span<const float> x) { return ScanRangeBody(x); }
#endif

}  // namespace

FloatRange ScanRange(std::span<const float> x) {
#if TFQ_X86
  if (UseAvx2()) return ScanRangeAvx2(x);
#endif
  return ScanRangePlain(x);
}

namespace {

template <typename Code>
TFQ_BODY void AffineF64Body(const float* x, size_t n, double lo, double hi, double scale, uint8_t* out) {
  constexpr double kRound = 4503599627370496.0;  // 2^52
  for (size_t i = 0; i < n; ++i) {
    double v = x[i];
    v = v < lo ? lo : v;  // numpy clip = minimum(maximum(x, lo), hi)
    v = v > hi ? hi : v;
    const double t = (v - lo) / scale;  // in [0, qmax]: exact rounding below
    // t + 2^52 lies in [2^52, 2^53), where the spacing is 1: its low
    // mantissa bits are t rounded half to even. Reading them (rather than
    // converting back to an integer) vectorizes on every target.
    const Code c = static_cast<Code>(BitCast<uint64_t>(t + kRound));
    std::memcpy(out + i * sizeof(Code), &c, sizeof(Code));
  }
}

template <typename Code>
TFQ_BODY void AffineF32Body(const float* x, size_t n, float lo, float hi, float scale, uint8_t* out) {
  constexpr float kRound = 8388608.0f;  // 2^23
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    const float t = (v - lo) / scale;  // in [0, qmax]: as above, with 2^23
    const Code c = static_cast<Code>(BitCast<uint32_t>(t + kRound));
    std::memcpy(out + i * sizeof(Code), &c, sizeof(Code));
  }
}

template <typename Code>
void AffineF64Plain(const float* x, size_t n, double lo, double hi, double scale, uint8_t* out) {
  AffineF64Body<Code>(x, n, lo, hi, scale, out);
}
template <typename Code>
void AffineF32Plain(const float* x, size_t n, float lo, float hi, float scale, uint8_t* out) {
  AffineF32Body<Code>(x, n, lo, hi, scale, out);
}
#if TFQ_X86
template <typename Code>
TFQ_AVX2 void AffineF64Avx2(const float* x, size_t n, double lo, double hi, double scale, uint8_t* out) {
  AffineF64Body<Code>(x, n, lo, hi, scale, out);
}
template <typename Code>
TFQ_AVX2 void AffineF32Avx2(const float* x, size_t n, float lo, float hi, float scale, uint8_t* out) {
  AffineF32Body<Code>(x, n, lo, hi, scale, out);
}
#endif

template <typename Code>
void AffineF64(const float* x, size_t n, double lo, double hi, double scale, uint8_t* out) {
#if TFQ_X86
  if (UseAvx2()) return AffineF64Avx2<Code>(x, n, lo, hi, scale, out);
#endif
  AffineF64Plain<Code>(x, n, lo, hi, scale, out);
}
template <typename Code>
void AffineF32(const float* x, size_t n, float lo, float hi, float scale, uint8_t* out) {
#if TFQ_X86
  if (UseAvx2()) return AffineF32Avx2<Code>(x, n, lo, hi, scale, out);
#endif
  AffineF32Plain<Code>(x, n, lo, hi, scale, out);
}

}  // namespace

void QuantizeAffine(std::span<const float> x, const AffineParams& p, Encoding enc, Arithmetic arith, uint8_t* out) {
  // The rounding trick needs (v - lo) / scale in [0, 2^23) (float) or
  // [0, 2^52) (double): true after the clip whenever max' - min is about
  // qmax * scale, which ComputeAffineParams guarantees; anything else (a
  // caller's own params) takes the reference path.
  const double span = (p.max - p.min) / p.scale;
  if (p.constant || !(p.scale > 0) || !(span >= 0 && span <= 65536.0)) {
    reference::QuantizeAffine(x, p, enc, arith, out);
    return;
  }
  if (arith == Arithmetic::kFloat64) {
    if (enc == Encoding::kUint8) AffineF64<uint8_t>(x.data(), x.size(), p.min, p.max, p.scale, out);
    else AffineF64<uint16_t>(x.data(), x.size(), p.min, p.max, p.scale, out);
  } else {
    const float lo = static_cast<float>(p.min), hi = static_cast<float>(p.max), sc = static_cast<float>(p.scale);
    if (!(sc > 0) || !((hi - lo) / sc <= 65536.0f)) {
      reference::QuantizeAffine(x, p, enc, arith, out);
      return;
    }
    if (enc == Encoding::kUint8) AffineF32<uint8_t>(x.data(), x.size(), lo, hi, sc, out);
    else AffineF32<uint16_t>(x.data(), x.size(), lo, hi, sc, out);
  }
}

namespace {

// All-ones when `c`, else zero: selects written as masks, which GCC keeps
// branch-free (and so vectorizes) where it would not if-convert ?: chains.
inline uint32_t Mask(bool c) { return 0u - static_cast<uint32_t>(c); }
inline uint32_t Select(uint32_t mask, uint32_t a, uint32_t b) { return (a & mask) | (b & ~mask); }

// FloatToHalfBits without branches: every case is computed, one is kept.
inline uint16_t HalfBits(uint32_t f) {
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t a = f & 0x7fffffffu;
  // Normal halves: rebias and round the mantissa to 10 bits, half to even.
  uint32_t norm = (a - 0x38000000u) >> 13;
  const uint32_t nrem = a & 0x1fffu;
  norm += (nrem > 0x1000u) | ((nrem == 0x1000u) & (norm & 1u));
  // Subnormal halves (and zero): |x| in units of 2^-24, rounded half to
  // even. The scaling by a power of two is exact and the result is below
  // 1024, so float arithmetic gives it exactly (and 2^-25 ties to 0). Lanes
  // that are not subnormal halves scale 0 instead: |x| >= 2^-14 would give
  // a float too large to convert to int32.
  const float t = BitCast<float>(a & Mask(a < 0x38800000u)) * 16777216.0f;  // 2^24
  const uint32_t sub = static_cast<uint32_t>(static_cast<int32_t>((t + 8388608.0f) - 8388608.0f));
  // NaN keeps its top payload bits and stays NaN; Inf and overflow give Inf.
  uint32_t nanm = (a & 0x7fffffu) >> 13;
  nanm |= Mask(nanm == 0) & 1u;
  uint32_t h = Select(Mask(a < 0x38800000u), sub, norm);
  h = Select(Mask(a >= 0x477ff000u), 0x7c00u, h);
  h = Select(Mask(a > 0x7f800000u), 0x7c00u | nanm, h);
  return static_cast<uint16_t>(sign | h);
}

// HalfBitsToFloat without branches. Subnormal halves are m * 2^-24, exact in
// float arithmetic.
inline float HalfToFloat(uint16_t hb) {
  const uint32_t h = hb;
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu;
  const uint32_t m = h & 0x3ffu;
  const uint32_t normal = sign | ((e + 112u) << 23) | (m << 13);
  const uint32_t special = sign | 0x7f800000u | (m << 13);
  const float sub = static_cast<float>(static_cast<int32_t>(m)) * 5.9604644775390625e-8f;  // 2^-24
  const uint32_t subbits = sign | BitCast<uint32_t>(sub);
  const uint32_t bits = Select(Mask(e == 0), subbits, Select(Mask(e == 0x1fu), special, normal));
  return BitCast<float>(bits);
}

// The portable float16 loops; the F16C versions use them for NaN blocks and
// tails.
void EncodeHalfScalar(const float* p, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const uint16_t h = HalfBits(BitCast<uint32_t>(p[i]));
    std::memcpy(out + 2 * i, &h, 2);
  }
}

void DecodeHalfScalar(const uint8_t* stored, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) {
    uint16_t c;
    std::memcpy(&c, stored + 2 * i, 2);
    out[i] = HalfToFloat(c);
  }
}

#if TFQ_X86
// F16C converts with IEEE round-to-nearest-even, overflow to Inf and
// gradual underflow: numpy's astype, except that it quiets NaNs. Blocks
// holding a NaN are redone by the scalar converter.
__attribute__((target("avx2,f16c"))) void EncodeHalfF16c(const float* p, size_t n, uint8_t* out) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(p + i);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0) EncodeHalfScalar(p + i, 8, out + 2 * i);
  }
  EncodeHalfScalar(p + i, n - i, out + 2 * i);
}

// F16C widening is exact except that it quiets NaNs; tfjs's table keeps the
// payload as it is. Blocks holding a NaN (exponent 31, mantissa != 0) are
// redone by the scalar converter.
__attribute__((target("avx2,f16c"))) void DecodeHalfF16c(const uint8_t* stored, size_t n, float* out) {
  size_t i = 0;
  const __m128i exp_mask = _mm_set1_epi16(0x7c00);
  const __m128i abs_mask = _mm_set1_epi16(0x7fff);
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(stored + 2 * i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
    // NaN: |h| > 0x7c00 (as signed 16-bit compare: |h| <= 0x7fff fits).
    const __m128i nan = _mm_cmpgt_epi16(_mm_and_si128(h, abs_mask), exp_mask);
    if (_mm_movemask_epi8(nan) != 0) DecodeHalfScalar(stored + 2 * i, 8, out + i);
  }
  DecodeHalfScalar(stored + 2 * i, n - i, out + i);
}
#endif

template <typename Code>
TFQ_BODY void DecodeAffineBody(const uint8_t* stored, size_t n, double min, double scale, float* out) {
  // Codes may sit at any byte offset in a shard: read them with memcpy.
  for (size_t i = 0; i < n; ++i) {
    Code c;
    std::memcpy(&c, stored + i * sizeof(Code), sizeof(Code));
    out[i] = static_cast<float>(static_cast<double>(c) * scale + min);
  }
}

template <typename Code>
void DecodeAffinePlain(const uint8_t* stored, size_t n, double min, double scale, float* out) {
  DecodeAffineBody<Code>(stored, n, min, scale, out);
}
#if TFQ_X86
template <typename Code>
TFQ_AVX2 void DecodeAffineAvx2(const uint8_t* stored, size_t n, double min, double scale, float* out) {
  DecodeAffineBody<Code>(stored, n, min, scale, out);
}
#endif

template <typename Code>
void DecodeAffine(const uint8_t* stored, size_t n, double min, double scale, float* out) {
#if TFQ_X86
  if (UseAvx2()) return DecodeAffineAvx2<Code>(stored, n, min, scale, out);
#endif
  DecodeAffinePlain<Code>(stored, n, min, scale, out);
}

void DecodeHalf(const uint8_t* stored, size_t n, float* out) {
#if TFQ_X86
  if (UseF16c()) return DecodeHalfF16c(stored, n, out);
#endif
  DecodeHalfScalar(stored, n, out);
}

}  // namespace

void QuantizeFloat16(std::span<const float> x, uint8_t* out) {
#if TFQ_X86
  if (UseF16c()) return EncodeHalfF16c(x.data(), x.size(), out);
#endif
  EncodeHalfScalar(x.data(), x.size(), out);
}

void DecodeToFloat32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale, float* out) {
  switch (enc) {
    case Encoding::kRaw:
      if (n) std::memcpy(out, stored, n * 4);
      break;
    case Encoding::kFloat16: DecodeHalf(stored, n, out); break;
    case Encoding::kUint8: DecodeAffine<uint8_t>(stored, n, min, scale, out); break;
    case Encoding::kUint16: DecodeAffine<uint16_t>(stored, n, min, scale, out); break;
  }
}

}  // namespace tfq
