// SPDX-License-Identifier: Apache-2.0
// The pack readers on any bytes: the first byte picks the reader
// (safetensors, npy, npz, PyTorch, ONNX), the rest is the file. Every
// tensor listed is read whole, then the tensors are packed, opened as a
// tfjs model, written to memory and reopened. Oracles: a listed tensor's
// bytes can be read; what packs opens; what is written opens again with
// the same weights.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/packed.h"
#include "tfjs_quant/writer.h"

namespace {

using namespace tfq;

constexpr const char* kNames[] = {"f.safetensors", "f.npy", "f.npz", "f.pt", "f.onnx"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int kind = data[0] % 5;
  const std::string name = kNames[kind];
  SpanFiles files;
  files.Add(name, std::span<const uint8_t>(data + 1, size - 1));
  const Limits limits = fuzz::SmallLimits();
  std::vector<SourceTensor> tensors;
  Status s;
  switch (kind) {
    case 0: s = ReadSafetensors(files, name, limits, &tensors); break;
    case 1: s = ReadNpy(files, name, "f", limits, &tensors); break;
    case 2: s = ReadNpz(files, name, limits, &tensors); break;
    case 3: s = ReadTorch(files, name, limits, &tensors); break;
    default: s = ReadOnnx(files, name, limits, &tensors); break;
  }
  if (!s.ok()) {
    if (s.code() == StatusCode::kInternal) fuzz::Broken("a reader reported an internal error", s);
    return 0;
  }
  std::vector<PackEntry> entries;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const SourceTensor& t = tensors[i];
    if (t.num_elements > limits.tensor_elements) fuzz::Broken("a listed tensor exceeds the element limit");
    std::vector<uint8_t> bytes(t.byte_size());
    Status r = t.bytes->ReadAt(0, bytes);
    // Deflated data is checked when read: only a format error may show then.
    if (!r.ok() && r.code() != StatusCode::kFormatError) fuzz::Broken("a listed tensor cannot be read", r);
    // The file's own names, so that what the manifest escapes is fuzzed too;
    // names pack refuses (not UTF-8, too long) are renamed.
    std::string name = CheckTensorName(t.name, t.origin).ok() ? t.name : "t" + std::to_string(i);
    entries.push_back({i, std::move(name), {}});
  }
  if (entries.empty()) return 0;
  auto packed = PackedFiles::Create(std::move(tensors), std::move(entries), {}, limits);
  if (!packed.ok()) return 0;  // an int64 beyond int32, a bad element on read, two equal names
  auto model = Model::Open(**packed, (*packed)->json_name(), limits);
  if (!model.ok()) fuzz::Broken("packed tensors do not open as a model", model.status());
  std::vector<Target> plan(model->tensors().size(), Target::kUint8);
  MemoryFiles out;
  auto report = WriteModel(*model, plan, {}, out);
  if (!report.ok()) return 0;  // a read failing now, as above
  auto again = Model::Open(out, (*packed)->json_name(), limits);
  if (!again.ok()) fuzz::Broken("a written pack does not open", again.status());
  if (again->tensors().size() != model->tensors().size()) fuzz::Broken("the written pack lost weights");
  return 0;
}
