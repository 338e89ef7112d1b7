// SPDX-License-Identifier: Apache-2.0
// Named tensors from other frameworks' files (PyTorch, safetensors, numpy,
// ONNX; HDF5 in tfjs_quant/hdf5.h), for `tfjs-quant pack`.
//
// A reader lists a file's tensors (name, element type, shape) without
// reading their elements; each tensor's bytes are read on demand through
// its SourceBytes, one tensor at a time, so a checkpoint never has to fit
// in memory. Readers work through a FileSource like the tfjs Model, so they
// run on disk, in memory and in WebAssembly alike. Nothing in a file is
// ever executed: the PyTorch reader understands only the pickle opcodes and
// globals that rebuild tensors and plain containers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/io.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/status.h"

namespace tfq {

// Element types found in other frameworks' files.
enum class SourceDType : uint8_t {
  kFloat64,
  kFloat32,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt64,
  kUInt32,
  kUInt16,
  kUInt8,
  kBool,
};
// "float64", "bfloat16", "bool", ... (numpy's names; safetensors' BF16 is
// "bfloat16").
std::string_view SourceDTypeName(SourceDType d);
unsigned SourceDTypeBytes(SourceDType d);

// A tensor's elements: all of them, C order (last axis fastest), each as
// `SourceDTypeBytes` little-endian bytes. Implementations read from a file
// range (RangeBytes), gather strided or byte-swapped elements, hold
// decoded varints (ONNX typed fields) or call a library (HDF5).
class SourceBytes {
 public:
  virtual ~SourceBytes() = default;
  // Reads bytes [offset, offset + dst.size()) of the tensor's C-order,
  // little-endian element bytes. May be called from several threads.
  virtual Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const = 0;
};

// Elements stored contiguously, little-endian, in C order at `offset` of a
// file: the common case (safetensors, PyTorch, stored .npy); reads go
// straight to the file.
class RangeBytes : public SourceBytes {
 public:
  RangeBytes(std::shared_ptr<const RandomAccessFile> file, uint64_t offset) : file_(std::move(file)), offset_(offset) {}
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    return file_->ReadAt(offset_ + offset, dst);
  }

 private:
  std::shared_ptr<const RandomAccessFile> file_;
  uint64_t offset_;
};

struct SourceTensor {
  std::string name;  // as the file names it ("conv1.weight", "dense/kernel:0")
  SourceDType dtype = SourceDType::kFloat32;
  std::vector<int64_t> shape;  // [] is a scalar
  uint64_t num_elements = 1;   // product of shape, checked against Limits::tensor_elements
  // Where it came from, for messages: "model.pt", "weights.npz: 'w.npy'".
  std::string origin;
  std::shared_ptr<const SourceBytes> bytes;
  uint64_t byte_size() const { return num_elements * SourceDTypeBytes(dtype); }
};

// Checks a shape (rank, no negative dimension, product within
// limits.tensor_elements) and returns its element count. `what` names the
// tensor in messages.
Result<uint64_t> CheckSourceShape(std::span<const int64_t> shape, const Limits& limits, std::string_view what);

// The readers. Each appends the tensors of file `path` of `source` to
// `out`, in the file's order. `path` names the file in messages (through
// source.Describe). Errors: kFormatError for a malformed file (naming the
// file, the offset or key, what was expected and what was found),
// kUnsupported for a valid file using something tfjs cannot hold (strings,
// complex, object arrays), kLimitExceeded against `limits`.

// .safetensors: the 8-byte header length, the JSON header, the data.
Status ReadSafetensors(FileSource& source, std::string_view path, const Limits& limits,
                       std::vector<SourceTensor>* out);
// .npy: one array, named `name`.
Status ReadNpy(FileSource& source, std::string_view path, std::string_view name, const Limits& limits,
               std::vector<SourceTensor>* out);
// .npz: a zip of .npy members (stored or deflated); each array named as its
// member without ".npy", as numpy's load does.
Status ReadNpz(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out);
// PyTorch's torch.save zip format (.pt, .pth, .bin): a state_dict, a plain
// dict of tensors, or a checkpoint dict holding one ("state_dict",
// "model_state_dict", "model"); nested dicts join keys with '.'.
Status ReadTorch(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out);
// .onnx: the graph's initializers (raw_data or typed fields). External data
// is read only from files beside the model (through `source`).
Status ReadOnnx(FileSource& source, std::string_view path, const Limits& limits, std::vector<SourceTensor>* out);

// Which reader a file name asks for: "safetensors", "npy", "npz", "torch",
// "onnx", "hdf5", "keras", or nullopt.
std::optional<std::string_view> PackFormatOf(std::string_view path);

}  // namespace tfq
