// SPDX-License-Identifier: Apache-2.0
#include "write/transform.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "tfjs_quant/text.h"
#include "write/parallel.h"

namespace tfq {

static_assert(std::endian::native == std::endian::little,
              "tfjs weights are little-endian; big-endian hosts need byte swaps here");

namespace {

// ScanRange over pieces on several threads, merged in order: the earlier
// piece wins on equal values, as the sequential scan keeps the first seen.
FloatRange ParallelScanRange(std::span<const float> x, Executor* ex) {
  const size_t pieces = PieceCount(x.size(), ex);
  if (pieces == 1) return ScanRange(x);
  std::vector<FloatRange> part(pieces);
  std::vector<size_t> values(pieces, 0);  // pieces left empty by rounding keep 0
  ParallelFor(x.size(), ex, [&](size_t k, size_t b, size_t e) {
    part[k] = ScanRange(x.subspan(b, e - b));
    values[k] = (e - b) - part[k].nan_count;
  });
  FloatRange r;
  bool any = false;
  for (size_t k = 0; k < pieces; ++k) {
    r.nan_count += part[k].nan_count;
    r.inf_count += part[k].inf_count;
    if (values[k] == 0) continue;  // all NaN: its 0/0 is not a value
    if (!any) {
      r.min = part[k].min;
      r.max = part[k].max;
      any = true;
      continue;
    }
    if (part[k].min < r.min) r.min = part[k].min;
    if (part[k].max > r.max) r.max = part[k].max;
  }
  return r;
}

}  // namespace

Status TransformTensor(const Model& model, const TensorLocation& t, Target target, const WriteOptions& options,
                       Transformed* out) {
  const WeightEntry& e = model.entry(t);
  out->changed = false;
  out->quantization.reset();
  out->nan_count = out->inf_count = 0;
  const bool raw_float = e.dtype == DType::kFloat32 && e.encoding() == Encoding::kRaw;
  const bool quantize = e.dtype == DType::kFloat32 &&
                        (target == Target::kUint8 || target == Target::kUint16 || target == Target::kFloat16);
  std::span<const uint8_t> stored;
  // Raw float32 already in memory (the WebAssembly package's input) is
  // quantized in place: no copy at all.
  const std::span<const uint8_t> in_place =
      quantize && raw_float ? model.StoredInMemory(t) : std::span<const uint8_t>();
  const bool float_aligned = reinterpret_cast<uintptr_t>(in_place.data()) % alignof(float) == 0;
  if (!in_place.empty() && float_aligned) {
    stored = in_place;
  } else if (quantize && raw_float) {
    // Raw float32 is read straight into the float buffer: no second copy.
    // A large one is read in pieces by several threads (the copy out of the
    // page cache is most of the work).
    float* f = out->floats.Resize(e.num_elements);
    if (!f && e.num_elements > 0) return NoMemoryFor(e, t.byte_size);
    std::span<uint8_t> dst(reinterpret_cast<uint8_t*>(f), t.byte_size);
    std::vector<Status> parts(PieceCount(e.num_elements, options.executor));
    ParallelFor(e.num_elements, options.executor, [&](size_t k, size_t b, size_t end) {
      parts[k] = model.ReadStoredPart(t, b * 4, dst.subspan(b * 4, (end - b) * 4));
    });
    for (const Status& s : parts) TFQ_RETURN_IF_ERROR(s);
    stored = dst;
  } else {
    uint8_t* p = out->stored.Resize(t.byte_size);
    if (!p && t.byte_size > 0) return NoMemoryFor(e, t.byte_size);
    std::span<uint8_t> dst(p, t.byte_size);
    TFQ_RETURN_IF_ERROR(model.ReadStored(t, dst));
    stored = dst;
  }
  out->bytes = stored;
  if (target == Target::kKeep) return Status::Ok();

  if (target == Target::kRaw) {
    if (!e.quantization) return Status::Ok();
    const auto& q = *e.quantization;
    uint8_t* coded = out->coded.Resize(e.num_elements * 4);
    if (!coded && e.num_elements > 0) return NoMemoryFor(e, e.num_elements * 4);
    if (e.dtype == DType::kInt32) {
      int32_t* v = reinterpret_cast<int32_t*>(coded);
      DecodeToInt32(q.dtype, stored.data(), e.num_elements, q.min, q.scale, v);
    } else {
      float* v = reinterpret_cast<float*>(coded);
      DecodeToFloat32(q.dtype, stored.data(), e.num_elements, q.min, q.scale, v);
    }
    out->bytes = out->coded.bytes();
    out->changed = true;
    return Status::Ok();
  }

  // Quantize: only float32 entries (Plan already guarantees this).
  if (!quantize) return Status::Ok();
  const Encoding enc = target == Target::kUint8 ? Encoding::kUint8
                       : target == Target::kUint16 ? Encoding::kUint16
                                                   : Encoding::kFloat16;
  // The converter cannot affine-quantize an empty tensor (numpy min of an
  // empty array); there is nothing to gain, so it stays as stored.
  if (e.num_elements == 0 && enc != Encoding::kFloat16) return Status::Ok();
  std::span<const float> x;
  if (raw_float) {
    x = std::span<const float>(reinterpret_cast<const float*>(stored.data()), e.num_elements);
  } else {
    float* f = out->floats.Resize(e.num_elements);
    if (!f && e.num_elements > 0) return NoMemoryFor(e, e.num_elements * 4);
    const auto& sq = e.quantization;
    DecodeToFloat32(e.encoding(), stored.data(), e.num_elements, sq ? sq->min : 0, sq ? sq->scale : 1, f);
    x = std::span<const float>(f, e.num_elements);
  }
  Executor* const ex = options.executor;
  FloatRange r = ParallelScanRange(x, ex);
  if (!r.finite()) {
    // The converter would write "min": NaN, which tfjs cannot parse; we keep
    // the tensor as stored and let the caller warn.
    out->nan_count = r.nan_count;
    out->inf_count = r.inf_count;
    return Status::Ok();
  }
  Quantization q;
  q.dtype = enc;
  const size_t width = EncodingElementBytes(enc);
  uint8_t* coded = out->coded.Resize(e.num_elements * width);
  if (!coded && e.num_elements > 0) return NoMemoryFor(e, e.num_elements * width);
  if (enc == Encoding::kFloat16) {
    ParallelFor(x.size(), ex,
                [&](size_t, size_t b, size_t end) { QuantizeFloat16(x.subspan(b, end - b), coded + b * 2); });
  } else {
    AffineParams p = ComputeAffineParams(r.min, r.max, enc == Encoding::kUint8 ? 255 : 65535);
    ParallelFor(x.size(), ex, [&](size_t, size_t b, size_t end) {
      QuantizeAffine(x.subspan(b, end - b), p, enc, options.arithmetic, coded + b * width);
    });
    q.min = p.min;
    q.scale = p.scale;
  }
  out->bytes = out->coded.bytes();
  out->quantization = q;
  out->changed = true;
  return Status::Ok();
}

WeightEntry TransformedEntry(const WeightEntry& e, const Transformed& tr) {
  WeightEntry out = e;
  if (tr.changed) SetQuantization(out, tr.quantization);
  return out;
}

}  // namespace tfq
