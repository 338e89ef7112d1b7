// SPDX-License-Identifier: Apache-2.0
// SearchSession: the search replayed over the measurements given so far
// (search.h says why), and Search(), the same search run straight through.
#include <algorithm>
#include <string>
#include <utility>

#include "search/searcher.h"
#include "tfjs_quant/search.h"

namespace tfq {
namespace {

// Answers the search's requests from the measurements given, in order; at
// the first request beyond them it notes the request and stops the search.
class ReplayEvaluator : public Evaluator {
 public:
  ReplayEvaluator(int num_inputs, const std::vector<std::pair<MeasureRequest, Measurement>>& given)
      : num_inputs_(num_inputs), given_(given) {}
  int num_inputs() const override { return num_inputs_; }
  Result<Measurement> Evaluate(std::span<const Target> plan, std::span<const int> inputs) override {
    if (next_ < given_.size()) {
      const MeasureRequest& asked = given_[next_].first;
      // The search is deterministic: a replay that asks for something else
      // is a bug, not a reason to answer wrongly.
      if (!std::equal(plan.begin(), plan.end(), asked.plan.begin(), asked.plan.end()) ||
          !std::equal(inputs.begin(), inputs.end(), asked.inputs.begin(), asked.inputs.end())) {
        return Internal("the search asked for another plan when replayed (step " + std::to_string(next_ + 1) + ")");
      }
      return given_[next_++].second;
    }
    pending = MeasureRequest{{plan.begin(), plan.end()}, {inputs.begin(), inputs.end()}};
    return Internal("the search waits for a measurement");  // unwinds the search; Next() sees `pending`
  }
  // Every given measurement has been answered: what the search does now is new.
  bool caught_up() const { return next_ == given_.size(); }
  std::optional<MeasureRequest> pending;

 private:
  int num_inputs_;
  const std::vector<std::pair<MeasureRequest, Measurement>>& given_;
  size_t next_ = 0;
};

}  // namespace

SearchSession::SearchSession(std::span<const SearchTensor> tensors, SearchOptions options, int num_inputs)
    : tensors_(tensors), options_(std::move(options)), num_inputs_(num_inputs) {}

Result<std::optional<MeasureRequest>> SearchSession::Next() {
  if (!failed_.ok()) return failed_;
  if (done_) return std::optional<MeasureRequest>();
  if (pending_) return pending_;  // asked again before its measurement came
  ReplayEvaluator replay(num_inputs_, given_);
  SearchOptions options = options_;
  if (options_.progress) {
    options.progress = [&](const SearchProgress& p) {
      if (replay.caught_up()) options_.progress(p);
    };
  }
  if (options_.log) {
    options.log = [&](const std::string& line) {
      if (replay.caught_up()) options_.log(line);
    };
  }
  auto r = RunSearcher(tensors_, replay, options);
  if (replay.pending) {
    pending_ = std::move(replay.pending);
    return pending_;
  }
  if (!r.ok()) {
    failed_ = r.status();
    return failed_;
  }
  result_ = std::move(r).value();
  done_ = true;
  return std::optional<MeasureRequest>();
}

Status SearchSession::Give(Measurement m) {
  if (!failed_.ok()) return failed_;
  if (!pending_) return InvalidArgument("a measurement was given, but the search asked for none");
  given_.emplace_back(std::move(*pending_), std::move(m));
  pending_.reset();
  return Status::Ok();
}

Result<SearchResult> Search(const Model& model, std::span<const SearchTensor> tensors, Evaluator& evaluator,
                            const SearchOptions& options) {
  if (tensors.size() != model.tensors().size()) {
    return InvalidArgument("SearchTensors does not match the model: " + std::to_string(tensors.size()) + " for " +
                           std::to_string(model.tensors().size()) + " tensors");
  }
  // Straight through: the steps a session hands out, without its replays.
  return RunSearcher(tensors, evaluator, options);
}

}  // namespace tfq
