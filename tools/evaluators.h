// SPDX-License-Identifier: Apache-2.0
// The two evaluators `auto` can use: stock TensorFlow.js in a long-running
// Node process (evaluator/ in this repository), or a user's command run on
// each candidate written to a temporary folder. Whatever they do (exit,
// hang, print garbage), the search gets a kEvaluatorFailed Status with
// their last words, never a crash or a wait without end.
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_common.h"
#include "subprocess.h"
#include "tfjs_quant/evaluation.h"
#include "tfjs_quant/search.h"

namespace tfq::cli {

// Where the Node evaluator package is: --evaluator, $TFJS_QUANT_EVALUATOR,
// <prefix>/share/tfjs-quant/evaluator next to an installed binary, or the
// source tree this binary was built from. Checks that its dependencies are
// installed and says what to run if not.
Result<std::filesystem::path> FindEvaluator(const std::string& flag);

struct NodeOptions {
  std::filesystem::path package;     // FindEvaluator()
  std::filesystem::path model_json;  // the input model
  int count = 8;
  int seed = 1;
  int default_dim = 256;
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;  // --dim NAME=1x224x224x3
  std::string inputs_dir;
  std::vector<std::string> outputs;
  std::chrono::milliseconds timeout{600000};  // per request (--eval-timeout)
  bool record = false;                         // keep every evaluation (--record)
};

class NodeEvaluator : public Evaluator {
 public:
  static Result<std::unique_ptr<NodeEvaluator>> Start(const Model& model, const NodeOptions& options);
  ~NodeEvaluator() override;

  int num_inputs() const override { return count_; }
  Result<Measurement> Evaluate(std::span<const Target> plan, std::span<const int> inputs) override;
  // Loads a written model with the stock loader and compares it with the
  // same references: the final, independent check.
  Result<Measurement> EvaluateModel(const std::filesystem::path& model_json);
  // With options.record: one JSON line per evaluation the search asked for,
  // {"assign", "inputs", "reply"}: what replays the search (js/src/auto.js's
  // search() takes the replies as they are).
  const std::string& record() const { return record_; }

  std::string kind;                     // "graph" or "layers"
  std::vector<std::string> input_desc;  // "input_1 float32 [1,256,256,3]"
  std::vector<std::string> outputs;     // guarded outputs

 private:
  NodeEvaluator(const Model& model, Child child, NodeOptions options)
      : model_(model), child_(std::move(child)), options_(std::move(options)) {}
  Status ReadReady();
  Status Load();
  // Sends one request (an id is added) and returns the matching reply, an
  // object with "ok": true.
  Result<nlohmann::json> Call(nlohmann::json request);
  Result<Measurement> ParseMeasurement(const nlohmann::json& reply, std::span<const int> inputs);
  Status Failed(const std::string& what);

  const Model& model_;
  Child child_;
  NodeOptions options_;
  int count_ = 0;
  int next_id_ = 1;
  bool failed_ = false;
  std::string record_;
  CandidateCache candidates_{model_};
};

class CommandEvaluator : public Evaluator {
 public:
  CommandEvaluator(const OpenedModel& in, std::string command, std::filesystem::path work_dir,
                   std::chrono::milliseconds timeout)
      : in_(in), command_(std::move(command)), work_dir_(std::move(work_dir)), timeout_(timeout) {}
  int num_inputs() const override { return 0; }
  Result<Measurement> Evaluate(std::span<const Target> plan, std::span<const int> inputs) override;
  Result<Measurement> EvaluateModel(const std::filesystem::path& model_json);

 private:
  Result<double> RunOn(const std::filesystem::path& model_json, const std::string& what);

  const OpenedModel& in_;
  std::string command_;
  std::filesystem::path work_dir_;
  std::chrono::milliseconds timeout_;
  int candidates_ = 0;
};

}  // namespace tfq::cli
