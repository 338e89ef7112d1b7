// SPDX-License-Identifier: Apache-2.0
// The `auto` report: per tensor the chosen encoding and why, the sizes
// against float32 / all-float16 / all-uint8, the search's cost, and the
// metric of the written model measured in a separate, final evaluation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tfjs_quant/search.h"

namespace tfq::cli {

struct AutoView {
  std::string model_path, out_path, budget_text;
  std::string evaluator;                 // what measured
  int inputs = 0;                        // 0: --eval-cmd
  std::vector<std::string> input_desc;   // per model input
  std::vector<std::string> outputs;      // guarded outputs
  Budget budget;
  std::vector<SearchTensor> tensors;
  std::vector<std::vector<int64_t>> shapes;
  SearchResult result;
  Metrics final_metrics;                 // the written model, measured afresh
  bool final_holds = false;
  uint64_t bytes_float32 = 0, bytes_float16 = 0, bytes_uint8 = 0, bytes_chosen = 0, bytes_written = 0;
  double seconds = 0;
};

// "uint8", "float16", "uint16", "float32", "kept (int32)"
std::string ChoiceLabel(const SearchTensor& t, Target target);
std::string AutoSummary(const AutoView& v);
std::string RenderAutoText(const AutoView& v);
std::string RenderAutoJson(const AutoView& v);

}  // namespace tfq::cli
