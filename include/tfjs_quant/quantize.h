// SPDX-License-Identifier: Apache-2.0
// The converter's quantizers and tfjs's decoders, one tensor at a time, on
// plain memory (spec sections 3.3 to 3.5). The functions in tfq::reference
// are plain scalar loops that define the bytes tfjs-quant writes; the
// functions of the same name in tfq are the fast kernels the library uses,
// tested to give identical bytes (tests/kernels_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tfjs_quant/dtype.h"

namespace tfq {

// Which numpy the converter ran on. numpy >= 2 evaluates the affine step in
// float64; numpy 1 in float32 (value-based casting). They differ by one code
// on ties (spec 3.3).
enum class Arithmetic : uint8_t { kFloat64, kNumpy1Float32 };

// The per-tensor affine parameters, as the converter computes them.
struct AffineParams {
  double min = 0;    // written to the manifest as "min" (possibly nudged)
  double scale = 1;  // written as "scale"
  double max = 0;    // upper clip bound (nudged max'); not written
  bool constant = false;  // min == max: every code is 0
};

// Range statistics of float data; quantizers need finite, non-empty input.
struct FloatRange {
  float min = 0, max = 0;
  size_t nan_count = 0, inf_count = 0;
  bool finite() const { return nan_count == 0 && inf_count == 0; }
};
FloatRange ScanRange(std::span<const float> x);

// qmax is 255 (uint8) or 65535 (uint16).
AffineParams ComputeAffineParams(float min, float max, uint32_t qmax);

// Writes one code per element, little-endian, element size by `enc`
// (kUint8 or kUint16). `out` must hold x.size() * element bytes.
void QuantizeAffine(std::span<const float> x, const AffineParams& p, Encoding enc,
                    Arithmetic arith, uint8_t* out);

// IEEE binary32 -> binary16, round to nearest even, as numpy's astype: NaN
// keeps its top payload bits and stays NaN.
uint16_t FloatToHalfBits(float v);
// Exact binary16 -> binary32 (what tfjs's table decoder computes).
float HalfBitsToFloat(uint16_t h);
void QuantizeFloat16(std::span<const float> x, uint8_t* out);

// tfjs's decodeWeight: float32(code * scale + min), evaluated in float64.
float DequantizeAffine(uint32_t code, double scale, double min);
// Decodes `n` stored elements of a float32 entry to float32 as tfjs does.
// kRaw copies little-endian float32.
void DecodeToFloat32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale,
                     float* out);
// Legacy int32 entries quantized to uint8/uint16: Math.round, wrapping.
void DecodeToInt32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale,
                   int32_t* out);

// Which code the fast kernels above run. kAuto: AVX2 (and F16C for float16)
// where the CPU has them; kPortable: the plain loops every target runs
// (WebAssembly included). The bytes are identical either way. A build with
// TFJS_QUANT_PORTABLE=ON has only the portable loops. Process-wide.
enum class KernelPath : uint8_t { kAuto, kPortable };
void SetKernelPath(KernelPath path);
// "avx2+f16c", "avx2" or "portable": what runs now.
const char* KernelPathInUse();

// The scalar definitions the fast kernels above must match byte for byte.
namespace reference {
FloatRange ScanRange(std::span<const float> x);
void QuantizeAffine(std::span<const float> x, const AffineParams& p, Encoding enc, Arithmetic arith, uint8_t* out);
void QuantizeFloat16(std::span<const float> x, uint8_t* out);
void DecodeToFloat32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale, float* out);
}  // namespace reference

}  // namespace tfq
