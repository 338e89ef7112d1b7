// SPDX-License-Identifier: Apache-2.0
#include "write/transform.h"

#include <bit>
#include <cstring>

#include "json/json.h"

namespace tfq {

static_assert(std::endian::native == std::endian::little,
              "tfjs weights are little-endian; big-endian hosts need byte swaps here");

Status TransformTensor(const Model& model, const TensorLocation& t, Target target, const WriteOptions& options,
                       Transformed* out) {
  const WeightEntry& e = model.entry(t);
  out->changed = false;
  out->quantization.reset();
  out->nan_count = out->inf_count = 0;
  TFQ_RETURN_IF_ERROR(model.ReadStored(t, &out->bytes));
  if (target == Target::kKeep) return Status::Ok();

  if (target == Target::kRaw) {
    if (!e.quantization) return Status::Ok();
    const auto& q = *e.quantization;
    std::vector<uint8_t> raw(e.num_elements * 4);
    if (e.dtype == DType::kInt32) {
      std::vector<int32_t> v(e.num_elements);
      DecodeToInt32(q.dtype, out->bytes.data(), e.num_elements, q.min, q.scale, v.data());
      std::memcpy(raw.data(), v.data(), raw.size());
    } else {
      std::vector<float> v(e.num_elements);
      DecodeToFloat32(q.dtype, out->bytes.data(), e.num_elements, q.min, q.scale, v.data());
      std::memcpy(raw.data(), v.data(), raw.size());
    }
    out->bytes = std::move(raw);
    out->changed = true;
    return Status::Ok();
  }

  // Quantize: only float32 entries (Plan already guarantees this).
  if (e.dtype != DType::kFloat32) return Status::Ok();
  const Encoding enc = target == Target::kUint8 ? Encoding::kUint8
                       : target == Target::kUint16 ? Encoding::kUint16
                                                   : Encoding::kFloat16;
  // The converter cannot affine-quantize an empty tensor (numpy min of an
  // empty array); there is nothing to gain, so it stays as stored.
  if (e.num_elements == 0 && enc != Encoding::kFloat16) return Status::Ok();
  std::vector<float> x(e.num_elements);
  const auto& sq = e.quantization;
  DecodeToFloat32(e.encoding(), out->bytes.data(), e.num_elements, sq ? sq->min : 0, sq ? sq->scale : 1, x.data());
  FloatRange r = ScanRange(x);
  if (!r.finite()) {
    // The converter would write "min": NaN, which tfjs cannot parse; we keep
    // the tensor as stored and let the caller warn.
    out->nan_count = r.nan_count;
    out->inf_count = r.inf_count;
    return Status::Ok();
  }
  Quantization q;
  q.dtype = enc;
  std::vector<uint8_t> coded(e.num_elements * EncodingElementBytes(enc));
  if (enc == Encoding::kFloat16) {
    QuantizeFloat16(x, coded.data());
  } else {
    AffineParams p = ComputeAffineParams(r.min, r.max, enc == Encoding::kUint8 ? 255 : 65535);
    QuantizeAffine(x, p, enc, options.arithmetic, coded.data());
    q.min = p.min;
    q.scale = p.scale;
  }
  out->bytes = std::move(coded);
  out->quantization = q;
  out->changed = true;
  return Status::Ok();
}

std::string RewriteEntryJson(const WeightEntry& e, const std::optional<Quantization>& q) {
  auto parsed = json::Parse(e.json, "entry");
  json::Json obj = parsed.ok() ? std::move(parsed).value() : json::Json::object();
  if (!q) {
    obj.erase("quantization");
    return json::DumpPython(obj);
  }
  json::Json qj = json::Json::object();
  qj["dtype"] = std::string(EncodingName(q->dtype));
  if (q->dtype != Encoding::kFloat16) {
    qj["min"] = q->min;
    qj["scale"] = q->scale;
  }
  qj["original_dtype"] = "float32";
  obj["quantization"] = std::move(qj);  // replaces in place, or appends after dtype
  return json::DumpPython(obj);
}

}  // namespace tfq
