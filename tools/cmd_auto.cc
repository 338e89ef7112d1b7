// SPDX-License-Identifier: Apache-2.0
// tfjs-quant auto IN OUT --budget EXPR: finds the smallest per-tensor mix of
// uint8 / 16-bit / float32 whose outputs stay within the budget, measured in
// stock TensorFlow.js (or by the user's --eval-cmd), writes it, and measures
// the written model once more in a separate evaluation.
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "auto_report.h"
#include "cli_common.h"
#include "commands.h"
#include "evaluators.h"
#include "inspect_report.h"
#include "progress.h"
#include "tfjs_quant/threads.h"
#include "work_dir.h"

namespace tfq::cli {
namespace fs = std::filesystem;

namespace {

struct AutoArgs {
  std::string in, out, budget, outputs, inputs_dir, eval_cmd, html, evaluator, record;
  std::vector<std::string> dims, limits;
  int count = 8, seed = 1, screen = 2, timeout_s = 600;
  std::string shard_size = "4194304";
  bool force = false, json = false, compare = false, verbose = false;
};

// --dim 224 (every unknown dimension) or --dim NAME=1x224x224x3 (one input).
Status ParseDims(const std::vector<std::string>& dims, NodeOptions* o) {
  auto parse_int = [](const std::string& s, int64_t* v) {
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || x <= 0 || x > INT32_MAX || errno == ERANGE) return false;
    *v = x;
    return true;
  };
  for (const auto& d : dims) {
    const size_t eq = d.find('=');
    if (eq == std::string::npos) {
      int64_t v;
      if (!parse_int(d, &v)) return InvalidArgument("--dim " + Quoted(d) + ": expected a size (e.g. 224) or NAME=1x224x224x3");
      o->default_dim = static_cast<int>(v);
      continue;
    }
    std::vector<int64_t> shape;
    const std::string rest = d.substr(eq + 1);
    for (size_t start = 0;;) {
      const size_t x = rest.find('x', start);
      int64_t v;
      if (!parse_int(rest.substr(start, x == std::string::npos ? std::string::npos : x - start), &v) || shape.size() >= 32) {
        return InvalidArgument("--dim " + Quoted(d) + ": expected NAME=1x224x224x3 (positive sizes joined by 'x')");
      }
      shape.push_back(v);
      if (x == std::string::npos) break;
      start = x + 1;
    }
    o->shapes.emplace_back(d.substr(0, eq), shape);
  }
  return Status::Ok();
}

// What can be refused before the model is even opened.
Status CheckArgs(const AutoArgs& a, const Budget& budget) {
  if (budget.uses_score() && a.eval_cmd.empty()) {
    return InvalidArgument("budget " + Quoted(budget.text) + " bounds 'score', which comes from --eval-cmd; give "
                           "--eval-cmd, or bound sqnr/cosine/maxabs/top1 instead");
  }
  if (!a.eval_cmd.empty() && !budget.uses_score()) {
    return InvalidArgument("with --eval-cmd the budget bounds the number it prints: use 'score>=X' or 'score<=X', not " +
                           Quoted(budget.text));
  }
  if (!a.eval_cmd.empty() && (!a.outputs.empty() || !a.inputs_dir.empty() || !a.dims.empty() || !a.record.empty())) {
    return InvalidArgument("--outputs, --inputs, --dim and --record configure the TensorFlow.js evaluator; with --eval-cmd your "
                           "command chooses its own");
  }
  if (a.timeout_s < 1) return InvalidArgument("--eval-timeout must be at least 1 second");
  if (!a.record.empty() && a.compare) {
    return InvalidArgument("--record keeps the search's own evaluations, to replay it: give it without --compare");
  }
  if (!budget.uses_score() && !Holds(budget, Metrics{})) {
    // Float32 weights reproduce the reference outputs exactly.
    return BudgetUnreachable("the budget " + Quoted(budget.text) +
                             " cannot be met: with every tensor float32 (as stored) the outputs are exact (" +
                             DescribeMetrics(budget, Metrics{}) + "), and no quantized model can do better");
  }
  return Status::Ok();
}

// The evaluator the search measures with, and how the report names it.
struct Evaluators {
  std::unique_ptr<NodeEvaluator> tfjs;
  std::unique_ptr<CommandEvaluator> command;
  Evaluator* active = nullptr;
  Result<Measurement> MeasureWritten(const fs::path& model_json) {
    return tfjs ? tfjs->EvaluateModel(model_json) : command->EvaluateModel(model_json);
  }
};

Status StartEvaluator(const AutoArgs& a, const OpenedModel& opened, const WorkDir& work, Evaluators* ev,
                      AutoView* view) {
  const std::chrono::milliseconds timeout(int64_t{a.timeout_s} * 1000);
  if (!a.eval_cmd.empty()) {
    ev->command = std::make_unique<CommandEvaluator>(opened, a.eval_cmd, work.path(), timeout);
    ev->active = ev->command.get();
    view->evaluator = "--eval-cmd: " + a.eval_cmd;
    return Status::Ok();
  }
  NodeOptions node;
  TFQ_RETURN_IF_ERROR(ParseDims(a.dims, &node));
  TFQ_ASSIGN_OR_RETURN(node.package, FindEvaluator(a.evaluator));
  node.model_json = opened.where.folder / opened.where.json_name;
  node.count = a.count;
  node.seed = a.seed;
  node.inputs_dir = a.inputs_dir;
  node.timeout = timeout;
  node.record = !a.record.empty();
  if (!a.outputs.empty()) node.outputs = SplitPatterns(a.outputs);
  TFQ_ASSIGN_OR_RETURN(ev->tfjs, NodeEvaluator::Start(*opened.model, node));
  ev->active = ev->tfjs.get();
  view->evaluator = "TensorFlow.js 4.22.0 (wasm backend) in Node, " + ev->tfjs->kind + " model";
  view->inputs = ev->tfjs->num_inputs();
  view->input_desc = ev->tfjs->input_desc;
  view->outputs = ev->tfjs->outputs;
  if (a.inputs_dir.empty()) view->evaluator += fmt::format(", default inputs (seed {})", a.seed);
  else view->evaluator += ", inputs from " + a.inputs_dir;
  return Status::Ok();
}

Result<SearchResult> RunSearch(const AutoArgs& a, const Model& model, const std::vector<SearchTensor>& tensors,
                               const Budget& budget, Evaluator& evaluator) {
  SearchOptions options;
  options.budget = budget;
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
  auto result = Search(model, tensors, evaluator, options);
  bar.Finish();
  return result;
}

int Run(const AutoArgs& a) {
  const auto started = std::chrono::steady_clock::now();
  auto budget = ParseBudget(a.budget);
  if (!budget.ok()) return Fail(budget.status());
  if (Status s = CheckArgs(a, *budget); !s.ok()) return Fail(s);
  auto shard_size = ParsePositive("--weight_shard_size_bytes", a.shard_size, "bytes");
  if (!shard_size.ok()) return Fail(shard_size.status());

  auto opened = OpenModel(a.in, a.limits);
  if (!opened.ok()) return Fail(opened.status());
  const Model& model = *opened->model;
  // Refuse a bad OUT now, not after a long search.
  auto out_dir = OutputDir::Create(a.out, opened->inputs, a.force, kReplaceHint);
  if (!out_dir.ok()) return Fail(out_dir.status());
  // One inspection serves the search and, with --html, the report (which
  // also wants the sizes on the wire).
  auto inspected = InspectOpened(*opened, !a.html.empty());
  if (!inspected.ok()) return Fail(inspected.status());
  const std::vector<SearchTensor> tensors = SearchTensors(inspected->report);
  auto work = WorkDir::Create();
  if (!work.ok()) return Fail(work.status());
  Evaluators ev;
  AutoView view;
  if (Status s = StartEvaluator(a, *opened, *work, &ev, &view); !s.ok()) return Fail(s);
  auto result = RunSearch(a, model, tensors, *budget, *ev.active);
  // Kept even when the search failed: that is when it is worth studying.
  if (ev.tfjs && !a.record.empty()) {
    if (Status s = WriteFileAtomically(a.record, ev.tfjs->record(), opened->inputs); !s.ok()) return Fail(s);
  }
  if (!result.ok()) return Fail(result.status());

  // Write, then measure what was written.
  WriteOptions write;
  write.shard_size_bytes = *shard_size;
  ThreadExecutor executor(0);
  write.executor = &executor;
  auto written = WriteModel(model, result->plan, write, **out_dir);
  if (!written.ok()) return Fail(written.status());
  if (Status s = (*out_dir)->Commit(); !s.ok()) return Fail(s);
  for (const auto& w : written->warnings) Warn(w);
  const fs::path out_json = (*out_dir)->final_path() / model.file().file_name;
  auto final_m = ev.MeasureWritten(out_json);
  if (!final_m.ok()) return Fail(final_m.status().Prefixed("measuring the written model " + Printable(out_json.string())));

  view.model_path = opened->shown;
  view.out_path = Printable(a.out, 300);
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
    if (Status s = WriteFileAtomically(a.html, RenderHtml(iv), opened->inputs); !s.ok()) return Fail(s);
  }
  std::fputs((a.json ? RenderAutoJson(view) : RenderAutoText(view)).c_str(), stdout);
  if (!a.json && !a.html.empty()) std::printf("wrote %s\n", Printable(a.html, 300).c_str());
  if (!view.final_holds) {
    return Fail(BudgetUnreachable("the written model measures " + DescribeMetrics(*budget, view.final_metrics) +
                                  ", outside the budget " + Quoted(budget->text) + " (the search measured " +
                                  DescribeMetrics(*budget, view.result.verified) + " for the same weights); " +
                                  view.out_path + " is kept for inspection"));
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
  sub.add_option("--eval-timeout", a->timeout_s,
                 "Seconds the evaluator may take for one step (loading, one evaluation, one --eval-cmd run) before it "
                 "is killed and auto fails (default 600)")
      ->check(CLI::Range(1, 86400));
  sub.add_option("--screen-inputs", a->screen, "Inputs used while screening tensors (default 2; 0: all)")
      ->check(CLI::Range(0, 1000));
  sub.add_flag("--compare", a->compare, "Also measure all-float16 on every input for the report (not counted)");
  sub.add_flag("--json", a->json, "Print the report as JSON");
  sub.add_flag("--verbose", a->verbose, "Log the search's verifications to stderr");
  sub.add_option("--html", a->html, "Also write the inspect HTML report with the chosen encodings to FILE");
  sub.add_option("--record", a->record,
                 "Write every evaluation the search asked for to FILE (JSON lines: the candidate, the inputs, "
                 "TensorFlow.js's reply), to replay or study the search");
  sub.add_option("--evaluator", a->evaluator, "The evaluator package folder (default: found automatically)");
  AddLimitOption(sub, a->limits);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
