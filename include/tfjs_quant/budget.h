// SPDX-License-Identifier: Apache-2.0
// What "accurate enough" means for `auto`: conditions on the model's outputs
// (compared with the float32 model's outputs on the same inputs) or on a
// score printed by the user's own evaluator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/status.h"

namespace tfq {

enum class MetricKind : uint8_t {
  kSqnr,    // worst output SQNR in dB over inputs and guarded outputs
  kCosine,  // worst cosine similarity of an output with its reference
  kMaxAbs,  // largest absolute difference of any output value
  kTop1,    // worst share, over guarded outputs, of inputs whose arg-max agrees
  kScore,   // the number a user's --eval-cmd prints
};
inline constexpr size_t kNumMetrics = static_cast<size_t>(MetricKind::kScore) + 1;
std::string_view MetricName(MetricKind m);

struct Condition {
  MetricKind metric = MetricKind::kSqnr;
  bool at_least = true;  // metric >= value (or >); false: metric <= value (or <)
  bool strict = false;   // > or <
  double value = 0;
};

// "sqnr>=30", "cosine>=0.999,maxabs<=0.01": every condition must hold.
struct Budget {
  std::vector<Condition> conditions;
  std::string text;
  bool uses_score() const;
  bool uses_reference() const;  // any condition on sqnr/cosine/maxabs/top1
};

// Errors name the offending part and list what is accepted.
Result<Budget> ParseBudget(std::string_view text);

// One evaluation's figures. For reference metrics: how the outputs compare
// with the float32 model's; score: what the user's evaluator printed.
struct Metrics {
  double sqnr_db = std::numeric_limits<double>::infinity();
  double cosine = 1;
  double max_abs = 0;
  double top1 = 1;
  std::optional<double> score;
  bool non_finite = false;  // an output held NaN or Inf
};

double MetricValue(const Metrics& m, MetricKind k);
bool Holds(const Condition& c, const Metrics& m);
bool Holds(const Budget& b, const Metrics& m);
// "sqnr 31.2 dB", "cosine 0.99931", "score 0.9512": the budget's metrics only.
std::string DescribeMetrics(const Budget& b, const Metrics& m);

}  // namespace tfq
