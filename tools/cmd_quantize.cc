// SPDX-License-Identifier: Apache-2.0
// tfjs-quant quantize IN OUT [options]: the converter's quantization flags,
// with the converter's meaning (spec section 4), on an existing tfjs model.
#include <memory>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "quantize_flags.h"

namespace tfq::cli {
namespace {

struct QuantizeArgs {
  std::string in, out;
  QuantizeFlags quant;
  std::vector<std::string> limits;
  bool force = false;
  WriteArgs write;
};

int Run(const QuantizeArgs& a) {
  auto sel = SelectionOf(a.quant);
  if (!sel.ok()) return Fail(sel.status());
  auto options = WriteOptionsOf(a.quant);
  if (!options.ok()) return Fail(options.status());
  auto opened = OpenModel(a.in, a.limits);
  if (!opened.ok()) return Fail(opened.status());
  auto plan = Plan(*opened->model, *sel);
  if (!plan.ok()) return Fail(plan.status());
  auto report = WriteOutput(*opened, *plan, *options, a.out, a.force, a.write.sync, a.write.threads);
  if (!report.ok()) return Fail(report.status());
  for (const auto& w : SelectionWarnings(*opened->model, *sel)) Warn(w);
  for (const auto& w : report->warnings) Warn(w);
  PrintSummary(*opened, *report, a.out);
  return kExitOk;
}

}  // namespace

Runner SetupQuantize(CLI::App& sub) {
  auto a = std::make_shared<QuantizeArgs>();
  sub.add_option("IN", a->in, kModelHelp)->required();
  AddOutputOptions(sub, a->out, a->quant.shard_size, a->force);
  AddWriteOptions(sub, a->write);
  AddLimitOption(sub, a->limits);
  AddQuantizeFlags(sub, a->quant);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
