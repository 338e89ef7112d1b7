// SPDX-License-Identifier: Apache-2.0
// Comparing two models that hold the same weights (a model and its
// quantized copy), tensor by tensor, on the values tfjs decodes. Tensors are
// read a chunk at a time: memory does not grow with the tensors.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/status.h"

namespace tfq {

struct TensorDiff {
  std::string name;
  DType dtype = DType::kFloat32;
  Encoding a = Encoding::kRaw, b = Encoding::kRaw;  // stored encodings
  // string and complex64 weights are compared byte for byte only.
  bool bytes_only = false;
  bool differs = false;
  double max_abs = 0, rmse = 0, cosine = 1;
  double sqnr_db = std::numeric_limits<double>::infinity();  // of B against A
};

struct DiffReport {
  std::vector<TensorDiff> tensors;  // in A's manifest order
  size_t differ = 0;
};

// kMismatch (listing the first differences) unless both models hold the
// same weight names with the same shapes and dtypes.
Result<DiffReport> Diff(const Model& a, const Model& b);

}  // namespace tfq
