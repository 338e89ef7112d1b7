// SPDX-License-Identifier: Apache-2.0
// Re-encodes one tensor for the writer: decode as tfjs would, then quantize
// as the converter would.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/writer.h"

namespace tfq {

// A buffer that grows without zero-filling and is reused from tensor to
// tensor: the writer touches each byte once, not three times. Resize
// returns null when memory runs out (the core has no exceptions to throw):
// the caller turns that into kOutOfMemory.
template <typename T>
class Scratch {
 public:
  T* Resize(size_t n) {
    if (n > capacity_) {
      data_.reset();
      capacity_ = size_ = 0;
      data_.reset(new (std::nothrow) T[n]);  // default-initialized: no memset
      if (!data_) return nullptr;
      capacity_ = n;
    }
    size_ = n;
    return data_.get();
  }
  T* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::span<uint8_t> bytes() const { return {reinterpret_cast<uint8_t*>(data_.get()), size_ * sizeof(T)}; }

 private:
  std::unique_ptr<T[]> data_;
  size_t capacity_ = 0, size_ = 0;
};

struct Transformed {
  std::span<const uint8_t> bytes;             // the tensor's new bytes (in one of the buffers below)
  bool changed = false;                       // false: bytes and manifest entry unchanged
  std::optional<Quantization> quantization;   // the new encoding when changed
  size_t nan_count = 0, inf_count = 0;        // non-finite values that blocked quantizing
  // Reused across calls.
  Scratch<uint8_t> stored, coded;
  Scratch<float> floats;
};

Status TransformTensor(const Model& model, const TensorLocation& t, Target target, const WriteOptions& options,
                       Transformed* out);

// The manifest entry of the tensor after TransformTensor.
WeightEntry TransformedEntry(const WeightEntry& e, const Transformed& tr);

// kOutOfMemory: "cannot allocate N bytes for weight 'x'".
Status NoMemoryFor(const WeightEntry& e, uint64_t bytes);

}  // namespace tfq
