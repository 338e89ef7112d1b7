// SPDX-License-Identifier: Apache-2.0
// What passes between the search and a TensorFlow.js evaluator
// (evaluator/README.md): the candidate weights a plan needs, encoded as the
// writer stores them, and the evaluator's measurements, checked field by
// field. The CLI's Node process and the JavaScript package's in-process
// evaluator speak the same messages.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tfjs_quant/model.h"
#include "tfjs_quant/search.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/status.h"

namespace tfq {

// One evaluation's weights: those the evaluator does not hold yet, and
// which candidate each weight uses ("name@uint8" keys).
struct CandidateBatch {
  std::string entries_json;  // JSON array of manifest entries, each with its "key"; "[]" if none
  size_t entries = 0;
  std::vector<uint8_t> bytes;  // the entries' bytes one after another
  std::vector<std::pair<std::string, std::string>> assign;  // weight name -> key
  std::string assign_json() const;  // {"name": "key", ...}
};

// Remembers which encodings the evaluator holds, so each is sent once.
class CandidateCache {
 public:
  explicit CandidateCache(const Model& model) : model_(model), sent_(model.tensors().size()) {}
  // Tensors kept (kKeep) or unchanged by their target (NaN/Inf, empty) use
  // the evaluator's originals.
  Result<CandidateBatch> Prepare(std::span<const Target> plan);

 private:
  const Model& model_;
  std::vector<std::array<bool, kNumTargets>> sent_;
};

// An "eval" reply ({"results": [...], "inferences": N}; JSON text) as a
// Measurement. Results must name an input below `num_inputs` and one of
// `outputs`; a missing or negative sum is an error (kEvaluatorFailed,
// saying what is wrong), a null error sum means the outputs overflowed.
Result<Measurement> ParseMeasurement(std::string_view reply, int num_inputs, std::span<const std::string> outputs);

}  // namespace tfq
