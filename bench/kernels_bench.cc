// SPDX-License-Identifier: Apache-2.0
// Throughput of the quantize.h kernels, tfq:: (fast) vs tfq::reference::, on
// a 64 MiB float32 tensor (16M values, N(0, 0.05), fixed seed), with a memcpy
// of the same 64 MiB as the yardstick. Every benchmark reports bytes
// processed, so Google Benchmark prints GB/s:
//   - memcpy, ScanRange, QuantizeAffine, QuantizeFloat16: float32 input bytes
//     read (64 MiB per iteration);
//   - DecodeToFloat32: float32 output bytes written (64 MiB per iteration),
//     so encodings with different stored sizes compare on the same footing.
// Real time, since the fast kernels may run on several threads.
//
//   ./build/bench/tfjs_quant_kernels_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "tfjs_quant/quantize.h"

namespace {

constexpr size_t kN = size_t{16} << 20;  // 16M floats = 64 MiB
constexpr int64_t kFloatBytes = static_cast<int64_t>(kN * sizeof(float));

const std::vector<float>& Input() {
  static const std::vector<float> x = [] {
    std::vector<float> v(kN);
    std::mt19937 rng(20240601);
    std::normal_distribution<float> d(0.0f, 0.05f);
    for (float& f : v) f = d(rng);
    return v;
  }();
  return x;
}

const tfq::AffineParams& Params(tfq::Encoding enc) {
  static const tfq::FloatRange r = tfq::reference::ScanRange(Input());
  static const tfq::AffineParams p8 = tfq::ComputeAffineParams(r.min, r.max, 255);
  static const tfq::AffineParams p16 = tfq::ComputeAffineParams(r.min, r.max, 65535);
  return enc == tfq::Encoding::kUint8 ? p8 : p16;
}

// Stored bytes of the input in each encoding (what DecodeToFloat32 reads).
const std::vector<uint8_t>& Stored(tfq::Encoding enc) {
  static const std::vector<uint8_t> u8 = [] {
    std::vector<uint8_t> b(kN);
    tfq::reference::QuantizeAffine(Input(), Params(tfq::Encoding::kUint8), tfq::Encoding::kUint8,
                                   tfq::Arithmetic::kFloat64, b.data());
    return b;
  }();
  static const std::vector<uint8_t> u16 = [] {
    std::vector<uint8_t> b(2 * kN);
    tfq::reference::QuantizeAffine(Input(), Params(tfq::Encoding::kUint16), tfq::Encoding::kUint16,
                                   tfq::Arithmetic::kFloat64, b.data());
    return b;
  }();
  static const std::vector<uint8_t> f16 = [] {
    std::vector<uint8_t> b(2 * kN);
    tfq::reference::QuantizeFloat16(Input(), b.data());
    return b;
  }();
  static const std::vector<uint8_t> raw = [] {
    std::vector<uint8_t> b(4 * kN);
    std::memcpy(b.data(), Input().data(), b.size());
    return b;
  }();
  switch (enc) {
    case tfq::Encoding::kUint8: return u8;
    case tfq::Encoding::kUint16: return u16;
    case tfq::Encoding::kFloat16: return f16;
    case tfq::Encoding::kRaw: break;
  }
  return raw;
}

// Output buffers are allocated (and so page-faulted in, value-initialized)
// outside the timed loop.
void BM_Memcpy(benchmark::State& state) {
  const std::vector<float>& x = Input();
  std::vector<float> dst(kN);
  for (auto _ : state) {
    std::memcpy(dst.data(), x.data(), kFloatBytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * kFloatBytes);
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();

using ScanFn = tfq::FloatRange (*)(std::span<const float>);
void BM_ScanRange(benchmark::State& state, ScanFn fn) {
  const std::span<const float> x = Input();
  for (auto _ : state) {
    tfq::FloatRange r = fn(x);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * kFloatBytes);
}
BENCHMARK_CAPTURE(BM_ScanRange, fast, &tfq::ScanRange)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ScanRange, reference, &tfq::reference::ScanRange)->Unit(benchmark::kMillisecond)->UseRealTime();

using AffineFn = void (*)(std::span<const float>, const tfq::AffineParams&, tfq::Encoding, tfq::Arithmetic, uint8_t*);
void BM_QuantizeAffine(benchmark::State& state, AffineFn fn, tfq::Encoding enc) {
  const std::span<const float> x = Input();
  const tfq::AffineParams& p = Params(enc);
  std::vector<uint8_t> out(kN * tfq::EncodingElementBytes(enc));
  for (auto _ : state) {
    fn(x, p, enc, tfq::Arithmetic::kFloat64, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * kFloatBytes);
}
void BM_QuantizeUint8(benchmark::State& state, AffineFn fn) { BM_QuantizeAffine(state, fn, tfq::Encoding::kUint8); }
void BM_QuantizeUint16(benchmark::State& state, AffineFn fn) { BM_QuantizeAffine(state, fn, tfq::Encoding::kUint16); }
BENCHMARK_CAPTURE(BM_QuantizeUint8, fast, &tfq::QuantizeAffine)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_QuantizeUint8, reference, &tfq::reference::QuantizeAffine)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_QuantizeUint16, fast, &tfq::QuantizeAffine)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_QuantizeUint16, reference, &tfq::reference::QuantizeAffine)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

using HalfFn = void (*)(std::span<const float>, uint8_t*);
void BM_QuantizeFloat16(benchmark::State& state, HalfFn fn) {
  const std::span<const float> x = Input();
  std::vector<uint8_t> out(2 * kN);
  for (auto _ : state) {
    fn(x, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * kFloatBytes);
}
BENCHMARK_CAPTURE(BM_QuantizeFloat16, fast, &tfq::QuantizeFloat16)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_QuantizeFloat16, reference, &tfq::reference::QuantizeFloat16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Bytes processed = float32 bytes written (64 MiB), not stored bytes read.
using DecodeFn = void (*)(tfq::Encoding, const uint8_t*, size_t, double, double, float*);
void BM_Decode(benchmark::State& state, DecodeFn fn, tfq::Encoding enc) {
  const std::vector<uint8_t>& stored = Stored(enc);
  const bool affine = enc == tfq::Encoding::kUint8 || enc == tfq::Encoding::kUint16;
  const double min = affine ? Params(enc).min : 0.0;
  const double scale = affine ? Params(enc).scale : 1.0;
  std::vector<float> out(kN);
  for (auto _ : state) {
    fn(enc, stored.data(), kN, min, scale, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * kFloatBytes);
}
void BM_DecodeUint8(benchmark::State& s, DecodeFn fn) { BM_Decode(s, fn, tfq::Encoding::kUint8); }
void BM_DecodeUint16(benchmark::State& s, DecodeFn fn) { BM_Decode(s, fn, tfq::Encoding::kUint16); }
void BM_DecodeFloat16(benchmark::State& s, DecodeFn fn) { BM_Decode(s, fn, tfq::Encoding::kFloat16); }
void BM_DecodeRaw(benchmark::State& s, DecodeFn fn) { BM_Decode(s, fn, tfq::Encoding::kRaw); }
#define TFQ_DECODE_BENCH(name)                                                                               \
  BENCHMARK_CAPTURE(name, fast, &tfq::DecodeToFloat32)->Unit(benchmark::kMillisecond)->UseRealTime();      \
  BENCHMARK_CAPTURE(name, reference, &tfq::reference::DecodeToFloat32)                                      \
      ->Unit(benchmark::kMillisecond)                                                                        \
      ->UseRealTime()
TFQ_DECODE_BENCH(BM_DecodeUint8);
TFQ_DECODE_BENCH(BM_DecodeUint16);
TFQ_DECODE_BENCH(BM_DecodeFloat16);
TFQ_DECODE_BENCH(BM_DecodeRaw);

}  // namespace
