// SPDX-License-Identifier: Apache-2.0
// tfjs-quant auto IN OUT --budget EXPR: finds the smallest per-tensor mix of
// uint8 / 16-bit / float32 whose outputs stay within the budget, measured in
// stock TensorFlow.js (or by the user's --eval-cmd), writes it, and measures
// the written model once more in a separate evaluation.
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "auto_report.h"
#include "cli_common.h"
#include "commands.h"
#include "evaluators.h"
#include "inspect_report.h"
#include "progress.h"

namespace tfq::cli {
namespace fs = std::filesystem;

namespace {

struct AutoArgs {
  std::string in, out, budget, outputs, inputs_dir, eval_cmd, html, evaluator;
  std::vector<std::string> dims;
  int count = 8, seed = 1, screen = 2;
  uint64_t shard_size = 4194304;
  bool force = false, json = false, compare = false, verbose = false;
};

// A temporary folder for candidate weights and models, removed on exit.
class WorkDir {
 public:
  static Result<WorkDir> Create() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tfjs-quant-auto-XXXXXX";
    if (!mkdtemp(tmpl.data())) return IOError("cannot create a temporary folder from " + tmpl);
    return WorkDir(tmpl);
  }
  WorkDir(WorkDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~WorkDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit WorkDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

// --dim 224 (every unknown dimension) or --dim NAME=1x224x224x3 (one input).
Status ParseDims(const std::vector<std::string>& dims, NodeOptions* o) {
  for (const auto& d : dims) {
    size_t eq = d.find('=');
    auto parse_int = [&](const std::string& s, int64_t* v) {
      char* end = nullptr;
      long long x = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end || x <= 0) return false;
      *v = x;
      return true;
    };
    if (eq == std::string::npos) {
      int64_t v;
      if (!parse_int(d, &v)) return InvalidArgument("--dim '" + d + "': expected a size (e.g. 224) or NAME=1x224x224x3");
      o->default_dim = static_cast<int>(v);
      continue;
    }
    std::vector<int64_t> shape;
    std::string rest = d.substr(eq + 1);
    size_t start = 0;
    for (;;) {
      size_t x = rest.find('x', start);
      int64_t v;
      if (!parse_int(rest.substr(start, x == std::string::npos ? std::string::npos : x - start), &v)) {
        return InvalidArgument("--dim '" + d + "': expected NAME=1x224x224x3 (positive sizes joined by 'x')");
      }
      shape.push_back(v);
      if (x == std::string::npos) break;
      start = x + 1;
    }
    o->shapes.emplace_back(d.substr(0, eq), shape);
  }
  return Status::Ok();
}

int Run(const AutoArgs& a) {
  const auto started = std::chrono::steady_clock::now();
  auto budget = ParseBudget(a.budget);
  if (!budget.ok()) return Fail(budget.status());
  if (budget->uses_score() && a.eval_cmd.empty()) {
    return Fail(InvalidArgument("--budget '" + budget->text + "' bounds 'score', which comes from --eval-cmd; give "
                                "--eval-cmd, or bound sqnr/cosine/maxabs/top1 instead"));
  }
  if (!a.eval_cmd.empty() && !budget->uses_score()) {
    return Fail(InvalidArgument("with --eval-cmd the budget bounds the number it prints: use 'score>=X' or "
                                "'score<=X', not '" + budget->text + "'"));
  }
  if (!a.eval_cmd.empty() && (!a.outputs.empty() || !a.inputs_dir.empty() || !a.dims.empty())) {
    return Fail(InvalidArgument("--outputs, --inputs and --dim configure the TensorFlow.js evaluator; with "
                                "--eval-cmd your command chooses its own"));
  }
  if (!budget->uses_score() && !Holds(*budget, Metrics{})) {
    // Float32 weights reproduce the reference outputs exactly.
    Fail(InvalidArgument("the budget '" + budget->text +
                         "' cannot be met: with every tensor float32 (as stored) the outputs are exact (" +
                         DescribeMetrics(*budget, Metrics{}) + "), and no quantized model can do better"));
    return kExitBudget;
  }
  NodeOptions node;
  if (Status s = ParseDims(a.dims, &node); !s.ok()) return Fail(s);

  auto opened = OpenModel(a.in);
  if (!opened.ok()) return Fail(opened.status());
  const Model& model = *opened->model;
  // Refuse a bad OUT now, not after a long search.
  auto out_dir = OutputDir::Create(a.out, opened->where.folder, opened->where.is_folder, opened->files, a.force);
  if (!out_dir.ok()) return Fail(out_dir.status());
  // One inspection serves the search and, with --html, the report (which
  // also wants the sizes on the wire).
  auto inspected = BuildInspectView(*opened, !a.html.empty());
  if (!inspected.ok()) return Fail(inspected.status());
  const std::vector<SearchTensor> tensors = SearchTensors(inspected->report);
  auto work = WorkDir::Create();
  if (!work.ok()) return Fail(work.status());

  // The evaluator.
  std::unique_ptr<NodeEvaluator> tfjs;
  std::unique_ptr<CommandEvaluator> command;
  Evaluator* evaluator = nullptr;
  AutoView view;
  if (a.eval_cmd.empty()) {
    auto package = FindEvaluator(a.evaluator);
    if (!package.ok()) {
      Fail(package.status());
      return kExitEvaluator;
    }
    node.package = *package;
    node.model_json = opened->where.folder / opened->where.json_name;
    node.work_dir = work->path();
    node.count = a.count;
    node.seed = a.seed;
    node.inputs_dir = a.inputs_dir;
    if (!a.outputs.empty()) node.outputs = SplitPatterns(a.outputs);
    auto started_ev = NodeEvaluator::Start(model, node);
    if (!started_ev.ok()) {
      Fail(started_ev.status());
      return started_ev.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitEvaluator;
    }
    tfjs = std::move(started_ev).value();
    evaluator = tfjs.get();
    view.evaluator = "TensorFlow.js 4.22.0 (wasm backend) in Node, " + tfjs->kind + " model";
    view.inputs = tfjs->num_inputs();
    view.input_desc = tfjs->input_desc;
    view.outputs = tfjs->outputs;
    if (a.inputs_dir.empty()) view.evaluator += fmt::format(", default inputs (seed {})", a.seed);
    else view.evaluator += ", inputs from " + a.inputs_dir;
  } else {
    command = std::make_unique<CommandEvaluator>(*opened, a.eval_cmd, work->path());
    evaluator = command.get();
    view.evaluator = "--eval-cmd: " + a.eval_cmd;
  }

  SearchOptions options;
  options.budget = *budget;
  options.screen_inputs = a.screen;
  options.compare = a.compare;
  ProgressBar bar("evaluations");
  options.progress = [&bar](const SearchProgress& p) { bar.Update(p.evaluations, p.estimated_total, p.phase); };
  if (a.verbose) {
    options.log = [&bar](const std::string& line) {
      bar.Finish();
      std::fprintf(stderr, "auto: %s\n", line.c_str());
    };
  }
  auto result = Search(model, tensors, *evaluator, options);
  bar.Finish();
  if (!result.ok()) {
    Fail(result.status());
    return result.status().code() == StatusCode::kInvalidArgument ? kExitBudget : kExitEvaluator;
  }

  // Write, then measure what was written.
  WriteOptions write;
  write.shard_size_bytes = a.shard_size;
  write.threads = DefaultThreads();
  auto written = WriteModel(model, result->plan, write, **out_dir);
  if (!written.ok()) return Fail(written.status());
  if (Status s = (*out_dir)->Commit(); !s.ok()) return Fail(s);
  for (const auto& w : written->warnings) Warn(w);
  const fs::path out_json = fs::path(a.out) / model.file().file_name;
  auto final_m = tfjs ? tfjs->EvaluateModel(out_json) : command->EvaluateModel(out_json);
  if (!final_m.ok()) {
    Fail(final_m.status().Prefixed("measuring the written model " + out_json.string()));
    return kExitEvaluator;
  }

  view.model_path = (opened->where.folder / opened->where.json_name).string();
  view.out_path = a.out;
  view.budget_text = budget->text;
  view.budget = *budget;
  view.tensors = tensors;
  for (const auto& loc : model.tensors()) view.shapes.push_back(model.entry(loc).shape);
  view.result = std::move(result).value();
  view.final_metrics = Summarize(*final_m);
  view.final_holds = Holds(*budget, view.final_metrics);
  view.bytes_float32 = PlanBytes(tensors, UniformPlan(tensors, Target::kRaw));
  view.bytes_float16 = PlanBytes(tensors, UniformPlan(tensors, Target::kFloat16));
  view.bytes_uint8 = PlanBytes(tensors, UniformPlan(tensors, Target::kUint8));
  view.bytes_chosen = PlanBytes(tensors, view.result.plan);
  view.bytes_written = written->bytes_after;
  view.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!a.html.empty()) {
    InspectView& iv = *inspected;
    for (size_t i = 0; i < tensors.size(); ++i) {
      iv.auto_choice.push_back(ChoiceLabel(tensors[i], view.result.plan[i]));
      iv.auto_why.push_back(view.result.choices[i].why);
    }
    iv.auto_summary = AutoSummary(view);
    if (Status s = WriteWhole(a.html, RenderHtml(iv)); !s.ok()) return Fail(s);
  }
  std::fputs((a.json ? RenderAutoJson(view) : RenderAutoText(view)).c_str(), stdout);
  if (!a.json && !a.html.empty()) std::printf("wrote %s\n", a.html.c_str());
  if (!view.final_holds) {
    Fail(InvalidArgument("the written model measures " + DescribeMetrics(*budget, view.final_metrics) +
                         ", outside the budget '" + budget->text + "' (the search measured " +
                         DescribeMetrics(*budget, view.result.verified) + " for the same weights); " + a.out +
                         " is kept for inspection"));
    return kExitBudget;
  }
  return kExitOk;
}

}  // namespace

Runner SetupAuto(CLI::App& sub) {
  auto a = std::make_shared<AutoArgs>();
  sub.add_option("IN", a->in, kModelHelp)->required();
  AddOutputOptions(sub, a->out, a->shard_size, a->force);
  sub.add_option("--budget", a->budget,
                 "What must hold, e.g. 'sqnr>=30' (worst output SQNR in dB), 'cosine>=0.999', 'maxabs<=0.01', "
                 "'top1>=0.99'; with --eval-cmd: 'score>=0.95' or 'score<=0.02'. Join conditions with ','")
      ->required();
  sub.add_option("--outputs", a->outputs, "Comma-separated outputs the budget guards (default: all)");
  sub.add_option("--inputs", a->inputs_dir,
                 "Folder of your own inputs: .npy files, or .png/.jpg images (resized to the input, scaled to "
                 "[0,1]; see evaluator/README.md)");
  sub.add_option("--count", a->count, "Default inputs per evaluation (default 8)")->check(CLI::Range(1, 1000));
  sub.add_option("--seed", a->seed, "Seed of the default inputs (default 1)");
  sub.add_option("--dim", a->dims,
                 "Size of unknown input dimensions (default 256; batch is 1), or a full shape for one input: "
                 "NAME=1x224x224x3. Repeatable");
  sub.add_option("--eval-cmd", a->eval_cmd,
                 "Your own evaluator: a shell command run on each candidate; {model} is replaced by its model.json "
                 "path, {dir} by its folder; it prints a number on its last line");
  sub.add_option("--screen-inputs", a->screen, "Inputs used while screening tensors (default 2; 0: all)")
      ->check(CLI::Range(0, 1000));
  sub.add_flag("--compare", a->compare, "Also measure all-float16 on every input for the report (not counted)");
  sub.add_flag("--json", a->json, "Print the report as JSON");
  sub.add_flag("--verbose", a->verbose, "Log the search's verifications to stderr");
  sub.add_option("--html", a->html, "Also write the inspect HTML report with the chosen encodings to FILE");
  sub.add_option("--evaluator", a->evaluator, "The evaluator package folder (default: found automatically)");
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
