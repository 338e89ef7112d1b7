// SPDX-License-Identifier: Apache-2.0
// Tensor-sized buffers without exceptions: the core allocates them with
// new (std::nothrow) and turns a failure into kOutOfMemory, naming the
// weight, instead of aborting (what std::vector would do without
// exceptions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>

#include "tfjs_quant/manifest.h"

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

// kOutOfMemory: "cannot allocate N bytes for weight 'x'".
Status NoMemoryFor(const WeightEntry& e, uint64_t bytes);

}  // namespace tfq
