// SPDX-License-Identifier: Apache-2.0
// The fast kernels: for now the reference loops.
#include "tfjs_quant/quantize.h"

namespace tfq {

FloatRange ScanRange(std::span<const float> x) { return reference::ScanRange(x); }
void QuantizeAffine(std::span<const float> x, const AffineParams& p, Encoding enc, Arithmetic arith, uint8_t* out) {
  reference::QuantizeAffine(x, p, enc, arith, out);
}
void QuantizeFloat16(std::span<const float> x, uint8_t* out) { reference::QuantizeFloat16(x, out); }
void DecodeToFloat32(Encoding enc, const uint8_t* stored, size_t n, double min, double scale, float* out) {
  reference::DecodeToFloat32(enc, stored, n, min, scale, out);
}

}  // namespace tfq
