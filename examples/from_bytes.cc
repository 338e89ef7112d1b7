// SPDX-License-Identifier: Apache-2.0
// The core alone (tfjs_quant::core: no file system, no threads, no
// exceptions), as WebAssembly will use it: a model held in the caller's
// memory is read in place through SpanFiles, quantized to uint8, and
// written to memory.
#include <tfjs_quant/tfjs_quant.h>

#include <cstdio>
#include <string>

int main() {
  const float w[4] = {-1.0f, 0.0f, 0.5f, 1.0f};
  const std::string json =
      R"({"format": "graph-model", "weightsManifest": [{"paths": ["w.bin"], "weights": [)"
      R"({"name": "w", "shape": [4], "dtype": "float32"}]}]})";
  tfq::SpanFiles in;  // no copy: `w` and `json` must outlive the model
  in.Add("model.json", json);
  in.Add("w.bin", std::string_view(reinterpret_cast<const char*>(w), sizeof w));
  auto model = tfq::Model::Open(in, "model.json");
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message().c_str());
    return 1;
  }
  std::vector<tfq::Target> plan(model->tensors().size(), tfq::Target::kUint8);
  tfq::MemoryFiles out;
  auto report = tfq::WriteModel(*model, plan, tfq::WriteOptions{}, out);
  if (!report.ok()) {
    std::fprintf(stderr, "error: %s\n", report.status().message().c_str());
    return 1;
  }
  std::printf("core only: %llu bytes -> %llu bytes; kernels: %s\n",
              static_cast<unsigned long long>(report->bytes_before),
              static_cast<unsigned long long>(report->bytes_after), tfq::KernelPathInUse());
  return 0;
}
