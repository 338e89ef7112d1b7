// SPDX-License-Identifier: Apache-2.0
// The C++ API in one page: load a model from bytes, decode a tensor as tfjs
// would, quantize one tensor by hand, and write a uint8 model to memory.
// Usage: quantize_one [MODEL_FOLDER MODEL_JSON]  (no arguments: a built-in model)
#include <tfjs_quant/disk.h>  // the file-system edge (tfjs_quant::tfjs_quant)
#include <tfjs_quant/tfjs_quant.h>

#include <cstdio>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  tfq::MemoryFiles files;
  std::unique_ptr<tfq::DiskSource> disk;
  tfq::FileSource* source = &files;
  std::string json_name = "model.json";
  if (argc == 3) {
    auto opened = tfq::DiskSource::Create(argv[1]);
    if (!opened.ok()) {
      std::fprintf(stderr, "error: %s\n", opened.status().message().c_str());
      return 1;
    }
    disk = std::move(opened).value();
    source = disk.get();
    json_name = argv[2];
  } else {
    // A one-weight model held in memory: bytes in, bytes out.
    const float w[5] = {-1.0f, -0.1f, 0.0f, 0.5f, 1.2f};
    files.Put("w.bin", std::string_view(reinterpret_cast<const char*>(w), sizeof w));
    files.Put("model.json",
              R"({"format": "graph-model", "weightsManifest": [{"paths": ["w.bin"], "weights": [)"
              R"({"name": "w", "shape": [5], "dtype": "float32"}]}]})");
  }

  auto model = tfq::Model::Open(*source, json_name);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message().c_str());
    return 1;
  }
  const tfq::TensorLocation& first = model->tensors().at(0);
  std::printf("%zu weights; first: %s\n", model->tensors().size(), model->entry(first).name.c_str());

  // Decode to float32 exactly as tfjs's loadWeights does.
  std::vector<float> x;
  if (auto s = model->DecodeFloat32(first, &x); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  }

  // Quantize that one tensor to uint8 by hand, as the converter would.
  tfq::FloatRange range = tfq::ScanRange(x);
  tfq::AffineParams p = tfq::ComputeAffineParams(range.min, range.max, 255);
  std::vector<uint8_t> codes(x.size());
  tfq::QuantizeAffine(x, p, tfq::Encoding::kUint8, tfq::Arithmetic::kFloat64, codes.data());
  std::printf("min %.17g scale %.17g first code %u decodes to %.9g\n", p.min, p.scale, codes[0],
              tfq::DequantizeAffine(codes[0], p.scale, p.min));

  // Write the whole model with every float32 weight as uint8, into memory.
  tfq::Selection sel;
  sel.uint8.given = sel.uint8.fallthrough = true;
  auto plan = tfq::Plan(*model, sel);
  tfq::MemoryFiles out;
  auto report = tfq::WriteModel(*model, plan.value(), tfq::WriteOptions{}, out);
  if (!report.ok()) {
    std::fprintf(stderr, "error: %s\n", report.status().message().c_str());
    return 1;
  }
  std::printf("%llu bytes -> %llu bytes in %zu files\n", static_cast<unsigned long long>(report->bytes_before),
              static_cast<unsigned long long>(report->bytes_after), out.files.size());
  return 0;
}
