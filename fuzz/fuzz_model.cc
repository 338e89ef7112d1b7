// SPDX-License-Identifier: Apache-2.0
// A whole model from any bytes: the JSON is everything before the first
// NUL byte (JSON text cannot hold one), the rest is shard data, offered as
// "a.bin" (all of it), "b.bin" (its first half) and "c.bin" (its second
// half). The model is opened, inspected, and written to memory with every
// target encoding. Oracles: what is written opens again, holds the same
// weights with the shapes and dtypes it had, and is written the same way
// twice; kept tensors keep their bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "tfjs_quant/diff.h"
#include "tfjs_quant/inspect.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/search.h"
#include "tfjs_quant/writer.h"

namespace {

using namespace tfq;

void WriteAndReopen(const Model& model, Target target, uint64_t shard_size) {
  std::vector<Target> plan(model.tensors().size(), target);
  WriteOptions options;
  options.shard_size_bytes = shard_size;
  MemoryFiles out;
  auto report = WriteModel(model, plan, options, out);
  if (!report.ok()) {
    // The only way a valid model fails to write: more shard files than allowed.
    if (report.status().code() != StatusCode::kLimitExceeded) fuzz::Broken("a valid model failed to write", report.status());
    return;
  }
  auto again = Model::Open(out, model.file().file_name, model.limits());
  if (!again.ok()) fuzz::Broken("a written model does not open", again.status());
  if (again->tensors().size() != model.tensors().size()) fuzz::Broken("the written model lost weights");
  for (size_t i = 0; i < model.tensors().size(); ++i) {
    const WeightEntry& a = model.entry(model.tensors()[i]);
    const WeightEntry& b = again->entry(again->tensors()[i]);
    if (a.name != b.name || a.shape != b.shape || a.dtype != b.dtype) fuzz::Broken("a written weight changed");
  }
  auto d = Diff(model, *again);
  if (!d.ok()) fuzz::Broken("a written model does not diff with its source", d.status());
  if (target == Target::kKeep && d->differ != 0) fuzz::Broken("a kept tensor changed");
  MemoryFiles twice;
  auto report2 = WriteModel(model, plan, options, twice);
  if (!report2.ok() || twice.files != out.files) fuzz::Broken("two writes of the same plan differ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view json = all.substr(0, nul);
  const std::string_view shards = nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
  SpanFiles files;
  files.Add("model.json", json);
  files.Add("a.bin", shards);
  files.Add("b.bin", shards.substr(0, shards.size() / 2));
  files.Add("c.bin", shards.substr(shards.size() / 2));
  auto model = Model::Open(files, "model.json", fuzz::SmallLimits());
  if (!model.ok()) return 0;
  auto report = Inspect(*model);
  if (!report.ok()) fuzz::Broken("an opened model cannot be inspected", report.status());
  (void)SearchTensors(*report);
  // The shard size comes from the data too: 1 to 64 bytes, or 4 MiB.
  const uint64_t shard_size = size % 3 == 0 ? 4194304 : 1 + size % 64;
  for (Target t : {Target::kKeep, Target::kRaw, Target::kUint8, Target::kUint16, Target::kFloat16}) {
    WriteAndReopen(*model, t, shard_size);
  }
  return 0;
}
