// SPDX-License-Identifier: Apache-2.0
// tfjs-quant diff A B: compares two models that hold the same weights (e.g. a
// model and its quantized copy) tensor by tensor, on the values tfjs decodes
// (tfq::Diff); this prints the table.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>

#include "cli_common.h"
#include "commands.h"

namespace tfq::cli {
namespace {

struct DiffArgs {
  std::string a, b;
  std::vector<std::string> limits;
};

int Run(const DiffArgs& args) {
  auto a = OpenModel(args.a, args.limits);
  if (!a.ok()) return Fail(a.status());
  auto b = OpenModel(args.b, args.limits);
  if (!b.ok()) return Fail(b.status());
  auto report = Diff(*a->model, *b->model);
  if (!report.ok()) return Fail(report.status());

  fmt::print("A: {}\nB: {}\n\n", a->shown, b->shown);
  fmt::print("  {:<44} {:<8} {:<8} {:>12} {:>12} {:>8} {:>12}\n", "name", "A", "B", "max abs err", "RMSE", "SQNR dB", "cosine");
  double worst = std::numeric_limits<double>::infinity();
  std::string worst_name;
  for (const TensorDiff& d : report->tensors) {
    const std::string name = ClipName(d.name, 44);
    if (d.bytes_only) {
      fmt::print("  {:<44} {:<8} {:<8} {:>12}\n", name, StoredName(d.dtype, d.a), StoredName(d.dtype, d.b),
                 d.differs ? "differs" : "identical");
      continue;
    }
    if (d.sqnr_db < worst) worst = d.sqnr_db, worst_name = d.name;
    fmt::print("  {:<44} {:<8} {:<8} {:>12.4g} {:>12.4g} {:>8} {:>12.8f}\n", name, StoredName(d.dtype, d.a),
               StoredName(d.dtype, d.b), d.max_abs, d.rmse, Db(d.sqnr_db), d.cosine);
  }
  fmt::print("\n{} tensors compared, {} differ", report->tensors.size(), report->differ);
  if (!worst_name.empty() && !std::isinf(worst)) fmt::print("; lowest SQNR {} dB in {}", Db(worst), Printable(worst_name));
  fmt::print("\n");
  return kExitOk;
}

}  // namespace

Runner SetupDiff(CLI::App& sub) {
  auto a = std::make_shared<DiffArgs>();
  sub.add_option("A", a->a, "The reference model (folder, model JSON or weights manifest)")->required();
  sub.add_option("B", a->b, "The model to compare with A")->required();
  AddLimitOption(sub, a->limits);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
