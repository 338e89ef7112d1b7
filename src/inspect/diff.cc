// SPDX-License-Identifier: Apache-2.0
// Diff: both tensors decoded as tfjs decodes them, a chunk of elements at a
// time, and compared as doubles.
#include "tfjs_quant/diff.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

#include "tfjs_quant/quantize.h"
#include "tfjs_quant/text.h"
#include "util/log10.h"

namespace tfq {
namespace {

constexpr size_t kChunk = size_t{1} << 16;

// One numeric tensor's values as tfjs decodes them, in chunks.
class Values {
 public:
  Values(const Model& m, const TensorLocation& t) : m_(m), t_(t), e_(m.entry(t)) {
    elem_ = e_.quantization ? EncodingElementBytes(e_.quantization->dtype) : DTypeElementBytes(e_.dtype);
  }
  // out[0..n) = elements [begin, begin + n).
  Status Read(uint64_t begin, size_t n, double* out) {
    stored_.resize(n * elem_);
    TFQ_RETURN_IF_ERROR(m_.ReadStoredPart(t_, begin * elem_, stored_));
    const auto& q = e_.quantization;
    if (e_.dtype == DType::kFloat32) {
      floats_.resize(n);
      DecodeToFloat32(e_.encoding(), stored_.data(), n, q ? q->min : 0, q ? q->scale : 1, floats_.data());
      for (size_t i = 0; i < n; ++i) out[i] = floats_[i];
    } else if (e_.dtype == DType::kInt32) {
      ints_.resize(n);
      if (q) {
        DecodeToInt32(q->dtype, stored_.data(), n, q->min, q->scale, ints_.data());
      } else if (n > 0) {
        std::memcpy(ints_.data(), stored_.data(), n * 4);
      }
      for (size_t i = 0; i < n; ++i) out[i] = ints_[i];
    } else {  // bool
      for (size_t i = 0; i < n; ++i) out[i] = stored_[i];
    }
    return Status::Ok();
  }

 private:
  const Model& m_;
  const TensorLocation& t_;
  const WeightEntry& e_;
  unsigned elem_ = 4;
  std::vector<uint8_t> stored_;
  std::vector<float> floats_;
  std::vector<int32_t> ints_;
};

Status CompareBytes(const Model& a, const TensorLocation& ta, const Model& b, const TensorLocation& tb, TensorDiff* d) {
  d->bytes_only = true;
  if (ta.byte_size != tb.byte_size) {
    d->differs = true;
    return Status::Ok();
  }
  std::vector<uint8_t> x, y;
  for (uint64_t off = 0; off < ta.byte_size && !d->differs; off += kChunk) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, ta.byte_size - off));
    x.resize(n);
    y.resize(n);
    TFQ_RETURN_IF_ERROR(a.ReadStoredPart(ta, off, x));
    TFQ_RETURN_IF_ERROR(b.ReadStoredPart(tb, off, y));
    d->differs = x != y;
  }
  return Status::Ok();
}

Status CompareValues(const Model& a, const TensorLocation& ta, const Model& b, const TensorLocation& tb, TensorDiff* d) {
  Values va(a, ta), vb(b, tb);
  const uint64_t n = a.entry(ta).num_elements;
  std::vector<double> x(static_cast<size_t>(std::min<uint64_t>(n, kChunk))), y(x.size());
  double se = 0, saa = 0, sbb = 0, sab = 0;
  bool special_mismatch = false;
  for (uint64_t begin = 0; begin < n; begin += kChunk) {
    const size_t m = static_cast<size_t>(std::min<uint64_t>(kChunk, n - begin));
    TFQ_RETURN_IF_ERROR(va.Read(begin, m, x.data()));
    TFQ_RETURN_IF_ERROR(vb.Read(begin, m, y.data()));
    for (size_t i = 0; i < m; ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
        special_mismatch |= !(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])));
        continue;
      }
      const double diff = y[i] - x[i];
      d->max_abs = std::max(d->max_abs, std::fabs(diff));
      se += diff * diff;
      saa += x[i] * x[i];
      sbb += y[i] * y[i];
      sab += x[i] * y[i];
    }
  }
  d->rmse = std::sqrt(se / static_cast<double>(std::max<uint64_t>(1, n)));
  d->sqnr_db = se == 0 && !special_mismatch ? std::numeric_limits<double>::infinity()
               : saa == 0                   ? -std::numeric_limits<double>::infinity()
                                            : 10 * Log10(saa / se);
  d->cosine = (saa > 0 && sbb > 0) ? sab / std::sqrt(saa * sbb) : (saa == sbb ? 1.0 : 0.0);
  d->differs = se > 0 || special_mismatch;
  return Status::Ok();
}

// The weights the two models do not share, as message lines.
std::vector<std::string> Differences(const Model& a, const Model& b,
                                     const std::unordered_map<std::string, size_t>& in_b) {
  std::vector<std::string> out;
  std::unordered_map<std::string, bool> in_a;
  for (const auto& t : a.tensors()) {
    const WeightEntry& e = a.entry(t);
    in_a[e.name] = true;
    auto it = in_b.find(e.name);
    if (it == in_b.end()) {
      out.push_back("only in A: " + Quoted(e.name));
      continue;
    }
    const WeightEntry& f = b.entry(b.tensors()[it->second]);
    if (e.shape != f.shape) {
      out.push_back("shape differs: " + Quoted(e.name) + " " + ShapeText(e.shape) + " vs " + ShapeText(f.shape));
    } else if (e.dtype != f.dtype) {
      out.push_back("dtype differs: " + Quoted(e.name) + " " + std::string(DTypeName(e.dtype)) + " vs " +
                    std::string(DTypeName(f.dtype)));
    }
  }
  for (const auto& t : b.tensors())
    if (!in_a.count(b.entry(t).name)) out.push_back("only in B: " + Quoted(b.entry(t).name));
  return out;
}

}  // namespace

Result<DiffReport> Diff(const Model& a, const Model& b) {
  std::unordered_map<std::string, size_t> in_b;
  for (size_t i = 0; i < b.tensors().size(); ++i) in_b[b.entry(b.tensors()[i]).name] = i;
  const std::vector<std::string> problems = Differences(a, b, in_b);
  if (!problems.empty()) {
    constexpr size_t kShown = 20;
    std::string m = "the models do not hold the same weights (" + std::to_string(problems.size()) + " difference" +
                    (problems.size() == 1 ? "" : "s") + "):";
    for (size_t i = 0; i < problems.size() && i < kShown; ++i) m += "\n  " + problems[i];
    if (problems.size() > kShown) m += "\n  and " + std::to_string(problems.size() - kShown) + " more";
    return Mismatch(m);
  }
  DiffReport report;
  for (const auto& ta : a.tensors()) {
    const WeightEntry& e = a.entry(ta);
    const auto it = in_b.find(e.name);
    if (it == in_b.end()) return Internal("diff lost weight " + Quoted(e.name));
    const TensorLocation& tb = b.tensors()[it->second];
    TensorDiff d;
    d.name = e.name;
    d.dtype = e.dtype;
    d.a = e.encoding();
    d.b = b.entry(tb).encoding();
    if (e.dtype == DType::kString || e.dtype == DType::kComplex64) {
      TFQ_RETURN_IF_ERROR(CompareBytes(a, ta, b, tb, &d));
    } else {
      TFQ_RETURN_IF_ERROR(CompareValues(a, ta, b, tb, &d));
    }
    report.differ += d.differs;
    report.tensors.push_back(std::move(d));
  }
  return report;
}

}  // namespace tfq
