// SPDX-License-Identifier: Apache-2.0
// tfjs-quant dequantize IN OUT: every quantized weight back to its dtype
// (float32, or int32 for legacy files), with the values tfjs decodes.
#include <memory>
#include <string>
#include <vector>

#include "cli_common.h"
#include "commands.h"

namespace tfq::cli {
namespace {

struct DequantizeArgs {
  std::string in, out;
  std::string shard_size = "4194304";
  std::vector<std::string> limits;
  bool force = false;
  WriteArgs write;
};

int Run(const DequantizeArgs& a) {
  auto shard_size = ParsePositive("--weight_shard_size_bytes", a.shard_size, "bytes");
  if (!shard_size.ok()) return Fail(shard_size.status());
  auto opened = OpenModel(a.in, a.limits);
  if (!opened.ok()) return Fail(opened.status());
  std::vector<Target> plan(opened->model->tensors().size(), Target::kRaw);
  WriteOptions options;
  options.shard_size_bytes = *shard_size;
  auto report = WriteOutput(*opened, plan, options, a.out, a.force, a.write.sync, a.write.threads);
  if (!report.ok()) return Fail(report.status());
  for (const auto& w : report->warnings) Warn(w);
  PrintSummary(*opened, *report, a.out);
  return kExitOk;
}

}  // namespace

Runner SetupDequantize(CLI::App& sub) {
  auto a = std::make_shared<DequantizeArgs>();
  sub.add_option("IN", a->in, kModelHelp)->required();
  AddOutputOptions(sub, a->out, a->shard_size, a->force);
  AddWriteOptions(sub, a->write);
  AddLimitOption(sub, a->limits);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
