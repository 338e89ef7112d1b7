// SPDX-License-Identifier: Apache-2.0
// tfjs-quant diff A B: compares two models that hold the same weights (e.g. a
// model and its quantized copy) tensor by tensor, on the values tfjs decodes.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "cli_common.h"
#include "commands.h"
#include "inspect_report.h"

namespace tfq::cli {
namespace {

struct DiffArgs {
  std::string a, b;
};

std::string EncodingText(const WeightEntry& e) {
  return e.encoding() == Encoding::kRaw ? std::string(DTypeName(e.dtype)) : std::string(EncodingName(e.encoding()));
}

// Values as tfjs decodes them, as doubles, for any numeric dtype.
Status DecodeNumeric(const Model& m, const TensorLocation& t, std::vector<double>* out) {
  const WeightEntry& e = m.entry(t);
  std::vector<uint8_t> stored;
  TFQ_RETURN_IF_ERROR(m.ReadStored(t, &stored));
  out->assign(e.num_elements, 0.0);
  const auto& q = e.quantization;
  if (e.dtype == DType::kFloat32) {
    std::vector<float> f(e.num_elements);
    DecodeToFloat32(e.encoding(), stored.data(), e.num_elements, q ? q->min : 0, q ? q->scale : 1, f.data());
    for (size_t i = 0; i < f.size(); ++i) (*out)[i] = f[i];
  } else if (e.dtype == DType::kInt32) {
    std::vector<int32_t> v(e.num_elements);
    if (q) DecodeToInt32(q->dtype, stored.data(), e.num_elements, q->min, q->scale, v.data());
    else std::memcpy(v.data(), stored.data(), v.size() * 4);
    for (size_t i = 0; i < v.size(); ++i) (*out)[i] = v[i];
  } else if (e.dtype == DType::kBool) {
    for (size_t i = 0; i < stored.size(); ++i) (*out)[i] = stored[i];
  } else {
    return Unsupported("not numeric");
  }
  return Status::Ok();
}

int Run(const DiffArgs& args) {
  auto a = OpenModel(args.a);
  if (!a.ok()) return Fail(a.status());
  auto b = OpenModel(args.b);
  if (!b.ok()) return Fail(b.status());
  const Model& ma = *a->model;
  const Model& mb = *b->model;
  std::unordered_map<std::string, size_t> in_b;
  for (size_t i = 0; i < mb.tensors().size(); ++i) in_b[mb.entry(mb.tensors()[i]).name] = i;

  std::vector<std::string> problems;
  std::unordered_map<std::string, bool> seen;
  for (const auto& t : ma.tensors()) {
    const WeightEntry& e = ma.entry(t);
    seen[e.name] = true;
    auto it = in_b.find(e.name);
    if (it == in_b.end()) {
      problems.push_back("only in A: " + e.name);
      continue;
    }
    const WeightEntry& f = mb.entry(mb.tensors()[it->second]);
    if (e.shape != f.shape) problems.push_back("shape differs: " + e.name + " " + ShapeText(e.shape) + " vs " + ShapeText(f.shape));
    else if (e.dtype != f.dtype)
      problems.push_back("dtype differs: " + e.name + " " + std::string(DTypeName(e.dtype)) + " vs " + std::string(DTypeName(f.dtype)));
  }
  for (const auto& t : mb.tensors())
    if (!seen.count(mb.entry(t).name)) problems.push_back("only in B: " + mb.entry(t).name);
  if (!problems.empty()) {
    std::fprintf(stderr, "tfjs-quant: error: the models do not hold the same weights (%zu difference%s):\n",
                 problems.size(), problems.size() == 1 ? "" : "s");
    for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.c_str());
    return kExitDiffer;
  }

  fmt::print("A: {}\nB: {}\n\n", (a->where.folder / a->where.json_name).string(), (b->where.folder / b->where.json_name).string());
  fmt::print("  {:<44} {:<8} {:<8} {:>12} {:>12} {:>8} {:>12}\n", "name", "A", "B", "max abs err", "RMSE", "SQNR dB", "cosine");
  double worst = std::numeric_limits<double>::infinity();
  std::string worst_name;
  size_t changed = 0;
  std::vector<double> va, vb;
  for (const auto& t : ma.tensors()) {
    const WeightEntry& e = ma.entry(t);
    const TensorLocation& u = mb.tensors()[in_b[e.name]];
    const WeightEntry& f = mb.entry(u);
    std::string name = e.name.size() <= 44 ? e.name : "…" + e.name.substr(e.name.size() - 43);
    if (e.dtype == DType::kString || e.dtype == DType::kComplex64) {
      std::vector<uint8_t> sa, sb;
      if (Status s = ma.ReadStored(t, &sa); !s.ok()) return Fail(s);
      if (Status s = mb.ReadStored(u, &sb); !s.ok()) return Fail(s);
      fmt::print("  {:<44} {:<8} {:<8} {:>12}\n", name, EncodingText(e), EncodingText(f), sa == sb ? "identical" : "differs");
      changed += sa != sb;
      continue;
    }
    if (Status s = DecodeNumeric(ma, t, &va); !s.ok()) return Fail(s);
    if (Status s = DecodeNumeric(mb, u, &vb); !s.ok()) return Fail(s);
    double maxabs = 0, se = 0, saa = 0, sbb = 0, sab = 0;
    bool nan_mismatch = false;
    for (size_t i = 0; i < va.size(); ++i) {
      const double x = va[i], y = vb[i];
      if (std::isnan(x) || std::isnan(y) || std::isinf(x) || std::isinf(y)) {
        nan_mismatch |= !(x == y || (std::isnan(x) && std::isnan(y)));
        continue;
      }
      const double d = y - x;
      maxabs = std::max(maxabs, std::fabs(d));
      se += d * d;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
    }
    const double n = static_cast<double>(std::max<size_t>(1, va.size()));
    const double sqnr = se == 0 && !nan_mismatch ? std::numeric_limits<double>::infinity()
                        : saa == 0                ? -std::numeric_limits<double>::infinity()
                                                  : 10 * std::log10(saa / se);
    const double cosine = (saa > 0 && sbb > 0) ? sab / std::sqrt(saa * sbb) : (saa == sbb ? 1.0 : 0.0);
    if (se > 0 || nan_mismatch) ++changed;
    if (sqnr < worst) worst = sqnr, worst_name = e.name;
    fmt::print("  {:<44} {:<8} {:<8} {:>12.4g} {:>12.4g} {:>8} {:>12.8f}\n", name, EncodingText(e), EncodingText(f),
               maxabs, std::sqrt(se / n), Db(sqnr), cosine);
  }
  fmt::print("\n{} tensors compared, {} differ", ma.tensors().size(), changed);
  if (!worst_name.empty() && !std::isinf(worst)) fmt::print("; lowest SQNR {} dB in {}", Db(worst), worst_name);
  fmt::print("\n");
  return kExitOk;
}

}  // namespace

Runner SetupDiff(CLI::App& sub) {
  auto a = std::make_shared<DiffArgs>();
  sub.add_option("A", a->a, "The reference model (folder, model JSON or weights manifest)")->required();
  sub.add_option("B", a->b, "The model to compare with A")->required();
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
