// SPDX-License-Identifier: Apache-2.0
// `auto`: the smallest per-tensor mix of uint8, 16-bit and float32 whose
// outputs stay within a budget, measured by an Evaluator (real TensorFlow.js
// in the CLI). The library holds the search; evaluators live at the edges
// (a Node process, a user's command), so the search can run anywhere.
//
// The search (docs/auto.md):
//  1. All-uint8 on every input. If the budget holds, that is the answer.
//  2. Screening on the few inputs that all-uint8 hurt most: tensors ordered
//     by predicted risk are bisected, each part measured at uint8 with the
//     rest float32; a group whose uint8 damage per value is within the
//     target's average is settled as a whole, the rest is split (member by
//     member when a small group is far over) until single tensors remain.
//     Tensors under 256 values form one group, never split.
//  3. Greedy promotion (uint8 -> the tensor's better 16-bit type -> float32)
//     by damage removed per byte added, until the predicted damage is under
//     a target; 16-bit damage is predicted from the weight errors, or
//     measured (both 16-bit types if needed) for tensors that break the
//     outputs on their own.
//  4. Verification on every input; if it misses, the target tightens by the
//     measured miss and step 3 continues; if it holds with room, up to two
//     looser tries, each verified. Every result is cached by its plan.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tfjs_quant/budget.h"
#include "tfjs_quant/inspect.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/status.h"

namespace tfq {

// One (input, output) comparison with the float32 model's output.
struct Sample {
  int input = 0;
  int output = 0;
  double n = 0;       // values
  double sig = 0;     // sum ref^2
  double err = 0;     // sum (out - ref)^2
  double max_abs = 0;
  double dot = 0;     // sum ref*out
  double nout = 0;    // sum out^2
  int64_t argmax_ref = 0, argmax_out = 0;
  int64_t non_finite = 0;
};

struct Measurement {
  std::vector<Sample> samples;  // reference evaluators
  std::optional<double> score;  // --eval-cmd
  int64_t inferences = 0;       // model runs this measurement cost
};

Metrics Summarize(const Measurement& m);

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // How many inputs a measurement may be restricted to; 0 if it cannot be
  // (a user's command evaluates as it pleases).
  virtual int num_inputs() const = 0;
  // `plan` has one Target per model tensor (kRaw: float32); `inputs` empty
  // means every input.
  virtual Result<Measurement> Evaluate(std::span<const Target> plan, std::span<const int> inputs) = 0;
};

// Per tensor, what the weights alone say (no evaluation needed).
struct SearchTensor {
  size_t index = 0;  // into model.tensors()
  std::string name;
  uint64_t elements = 0;
  bool searchable = false;  // float32, finite, non-empty
  std::string kept_reason;  // when not searchable
  Target best16 = Target::kFloat16;
  double uint8_db = 0, uint16_db = 0, float16_db = 0;  // weight SQNR (whole tensor)
  double uint8_worst_channel_db = 0;
  uint64_t stored_bytes = 0;
  Encoding stored = Encoding::kRaw;
};
Result<std::vector<SearchTensor>> SearchTensors(const Model& model);
// The same from an inspect report already made (e.g. for an HTML report).
std::vector<SearchTensor> SearchTensors(const InspectReport& report);

struct SearchProgress {
  int evaluations = 0;
  int estimated_total = 0;
  const char* phase = "";
};

struct SearchOptions {
  Budget budget;
  int screen_inputs = 2;  // inputs used while screening (0: all)
  bool compare = false;   // also measure all-float16 on every input (not counted)
  std::function<void(const SearchProgress&)> progress;
  std::function<void(const std::string&)> log;  // one line per step, for --verbose
};

struct TensorChoice {
  Target target = Target::kKeep;  // kRaw = float32
  std::string why;
  std::optional<double> alone_db;  // reference budgets: output SQNR with this tensor's group at uint8
  int group_size = 0;
};

struct SearchResult {
  std::vector<Target> plan;            // one per model tensor
  std::vector<TensorChoice> choices;   // one per model tensor
  int evaluations = 0;
  int64_t inferences = 0;
  Metrics verified;                    // the chosen plan, measured on every input
  Metrics all_uint8;
  std::optional<Metrics> all_float16;  // options.compare
  int comparison_evaluations = 0;
  bool all_uint8_holds = false;
};

// Fails with kBudgetUnreachable if the budget cannot hold even with every
// tensor float32 (the message says what float32 measured); an evaluator's
// failure comes back as it reported it (kEvaluatorFailed). The search a
// SearchSession steps through, run straight.
Result<SearchResult> Search(const Model& model, std::span<const SearchTensor> tensors, Evaluator& evaluator,
                            const SearchOptions& options);

// One measurement the search needs: `plan` (one Target per model tensor,
// kRaw: float32) on `inputs` (empty: every input).
struct MeasureRequest {
  std::vector<Target> plan;
  std::vector<int> inputs;
};

// The search driven from outside, for callers whose evaluator answers
// later (JavaScript's asynchronous tfjs): Next() hands out the plan to
// measure, Give() takes its measurement, until Next() says it is done.
//
// Each Next() runs the search from the start, answering its requests from
// the measurements given so far, and stops at the first one it has no
// answer for. The search stays plain sequential code, and the same
// measurements always give the same plan, whoever measures. The replays
// cost O(N^2 T) in all for N evaluations of T tensors: for posenet (62
// tensors, 81 evaluations) all 82 steps take 0.27 s in WebAssembly, the
// candidates' encoding included, against 30 s of evaluations; natively,
// 0.7 s for 400 tensors and 588 evaluations, 47 s for 1,600 and 2,673. A
// resumable search (a coroutine) would remove them. progress and log see
// each step once: only what comes after the last measurement.
class SearchSession {
 public:
  // `tensors` must outlive the session; `num_inputs` as Evaluator's.
  SearchSession(std::span<const SearchTensor> tensors, SearchOptions options, int num_inputs);

  // The next measurement the search needs, or nullopt once it is done
  // (then result()). A failure (an unreachable budget) ends the search:
  // every later call returns it.
  Result<std::optional<MeasureRequest>> Next();
  // The measurement of the plan the last Next() handed out.
  Status Give(Measurement m);
  const SearchResult& result() const { return result_; }
  // The request handed out and not yet answered.
  const std::optional<MeasureRequest>& pending() const { return pending_; }
  int measurements() const { return static_cast<int>(given_.size()); }

 private:
  std::span<const SearchTensor> tensors_;
  SearchOptions options_;
  int num_inputs_;
  std::vector<std::pair<MeasureRequest, Measurement>> given_;
  std::optional<MeasureRequest> pending_;
  SearchResult result_;
  bool done_ = false;
  Status failed_;
};

// Every searchable tensor at `t` (kRaw: float32), the rest kept as stored.
std::vector<Target> UniformPlan(std::span<const SearchTensor> tensors, Target t);

// Bytes of the weights under a plan (kKeep: as stored).
uint64_t PlanBytes(std::span<const SearchTensor> tensors, std::span<const Target> plan);

}  // namespace tfq
