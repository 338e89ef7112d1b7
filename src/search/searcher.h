// SPDX-License-Identifier: Apache-2.0
// The search itself (search.cc), run to its end with an evaluator that
// answers at once; SearchSession (session.cc) drives it step by step.
#pragma once

#include <span>

#include "tfjs_quant/search.h"

namespace tfq {

Result<SearchResult> RunSearcher(std::span<const SearchTensor> tensors, Evaluator& evaluator,
                                 const SearchOptions& options);

}  // namespace tfq
