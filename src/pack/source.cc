// SPDX-License-Identifier: Apache-2.0

#include "pack/zip.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/text.h"

namespace tfq {

std::string_view SourceDTypeName(SourceDType d) {
  switch (d) {
    case SourceDType::kFloat64: return "float64";
    case SourceDType::kFloat32: return "float32";
    case SourceDType::kFloat16: return "float16";
    case SourceDType::kBFloat16: return "bfloat16";
    case SourceDType::kInt64: return "int64";
    case SourceDType::kInt32: return "int32";
    case SourceDType::kInt16: return "int16";
    case SourceDType::kInt8: return "int8";
    case SourceDType::kUInt64: return "uint64";
    case SourceDType::kUInt32: return "uint32";
    case SourceDType::kUInt16: return "uint16";
    case SourceDType::kUInt8: return "uint8";
    case SourceDType::kBool: return "bool";
  }
  return "?";
}

unsigned SourceDTypeBytes(SourceDType d) {
  switch (d) {
    case SourceDType::kFloat64: case SourceDType::kInt64: case SourceDType::kUInt64: return 8;
    case SourceDType::kFloat32: case SourceDType::kInt32: case SourceDType::kUInt32: return 4;
    case SourceDType::kFloat16: case SourceDType::kBFloat16: case SourceDType::kInt16: case SourceDType::kUInt16:
      return 2;
    case SourceDType::kInt8: case SourceDType::kUInt8: case SourceDType::kBool: return 1;
  }
  return 1;
}

Result<uint64_t> CheckSourceShape(std::span<const int64_t> shape, const Limits& limits, std::string_view what) {
  if (shape.size() > limits.rank) {
    return LimitExceeded(std::string(what) + ": rank " + std::to_string(shape.size()) + " exceeds " +
                         LimitText("rank", limits.rank), "rank");
  }
  uint64_t n = 1;
  bool zero = false;
  for (int64_t d : shape) {
    if (d < 0) return FormatError(std::string(what) + ": negative dimension " + std::to_string(d));
    // A tfjs shape is a list of JavaScript numbers: exact up to 2^53. Said
    // here, naming the input, rather than by the manifest made from it.
    if (static_cast<uint64_t>(d) > (uint64_t{1} << 53)) {
      return Unsupported(std::string(what) + ": dimension " + std::to_string(d) +
                         " is larger than 2^53 (tfjs shapes are JavaScript numbers)");
    }
    if (d == 0) zero = true;
  }
  if (zero) return uint64_t{0};
  for (int64_t d : shape) {
    if (static_cast<uint64_t>(d) > limits.tensor_elements || n > limits.tensor_elements / static_cast<uint64_t>(d)) {
      return LimitExceeded(std::string(what) + ": shape " + ShapeText(std::vector<int64_t>(shape.begin(), shape.end())) + " has more elements than " +
                           LimitText("tensor_elements", limits.tensor_elements) + " allows", "tensor_elements");
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

Result<std::shared_ptr<const RandomAccessFile>> OpenShared(FileSource& source, std::string_view path) {
  TFQ_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, source.Open(path));
  return std::shared_ptr<const RandomAccessFile>(std::move(file));
}

std::optional<std::string_view> PackFormatOf(std::string_view path) {
  auto ends = [&](std::string_view s) { return path.ends_with(s); };
  if (ends(".safetensors")) return "safetensors";
  if (ends(".npy")) return "npy";
  if (ends(".npz")) return "npz";
  if (ends(".pt") || ends(".pth") || ends(".bin") || ends(".ckpt")) return "torch";
  if (ends(".onnx")) return "onnx";
  if (ends(".h5") || ends(".hdf5")) return "hdf5";
  if (ends(".keras")) return "keras";
  return std::nullopt;
}

}  // namespace tfq
