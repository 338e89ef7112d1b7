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
  std::vector<std::string> entries;  // manifest entries as JSON objects, each with its "key"
  std::vector<size_t> sizes;         // each entry's bytes
  std::vector<uint8_t> bytes;        // the entries' bytes one after another
  std::vector<std::pair<std::string, std::string>> assign;  // weight name -> key
  // Entries [begin, end) as a JSON array.
  std::string entries_json(size_t begin, size_t end) const;
  std::string entries_json() const { return entries_json(0, entries.size()); }
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
// Measurement: exactly one result per input of `inputs` (empty: each of the
// `num_inputs`) and output of `outputs`. A missing, repeated or unknown
// one, or a missing or negative sum, is an error (kEvaluatorFailed, saying
// what is wrong); a null error sum means the outputs overflowed.
Result<Measurement> ParseMeasurement(std::string_view reply, int num_inputs, std::span<const std::string> outputs,
                                     std::span<const int> inputs);

}  // namespace tfq
