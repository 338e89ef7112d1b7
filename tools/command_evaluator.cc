// SPDX-License-Identifier: Apache-2.0
// --eval-cmd: each candidate is written as a whole model into a temporary
// folder and the user's command runs on it (killed after --eval-timeout);
// the number on its last line of stdout is the score the budget bounds.
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "evaluators.h"

namespace tfq::cli {
namespace fs = std::filesystem;

namespace {

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

Result<double> CommandEvaluator::RunOn(const fs::path& model_json, const std::string& what) {
  std::string cmd = Replace(Replace(command_, "{model}", ShellQuote(model_json.string())), "{dir}",
                            ShellQuote(model_json.parent_path().string()));
  TFQ_ASSIGN_OR_RETURN(ShellResult r, RunShell(cmd, timeout_));
  const std::string where = "--eval-cmd on " + what + " (" + Printable(model_json.string()) + ")";
  const std::string err_tail = LastLines(r.err, 8);
  if (r.timed_out) {
    return EvaluatorFailed(where + " did not finish within " + std::to_string(timeout_.count() / 1000) +
                           " s (--eval-timeout) and was killed" +
                           (err_tail.empty() ? "" : "; its stderr ends with:\n" + err_tail));
  }
  if (r.exit_code != 0) {
    return EvaluatorFailed(where + " failed with exit code " + std::to_string(r.exit_code) +
                           (err_tail.empty() ? " and printed nothing on stderr" : "; its stderr ends with:\n" + err_tail));
  }
  std::string last = LastLines(r.out, 1);
  while (!last.empty() && (last.back() == '\r' || last.back() == ' ' || last.back() == '\t')) last.pop_back();
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.erase(0, 1);
  if (last.empty()) {
    return EvaluatorFailed(where + " printed nothing on stdout: it must print the score, a number, on its last line" +
                           (err_tail.empty() ? "" : "; its stderr ends with:\n" + err_tail));
  }
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(last.c_str(), &end);
  if (end == last.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    return EvaluatorFailed(where + ": its last line of stdout is not a finite number: " + Quoted(last, 200));
  }
  return v;
}

Result<Measurement> CommandEvaluator::Evaluate(std::span<const Target> plan, std::span<const int>) {
  const int n = ++candidates_;
  fs::path dir = work_dir_ / ("candidate-" + std::to_string(n));
  TFQ_ASSIGN_OR_RETURN(auto sink, OutputDir::Create(dir, in_.inputs, false));
  TFQ_ASSIGN_OR_RETURN(WriteReport written, WriteModel(*in_.model, plan, WriteOptions{}, *sink));
  (void)written;
  TFQ_RETURN_IF_ERROR(sink->Commit());
  auto score = RunOn(dir / in_.model->file().file_name, "candidate #" + std::to_string(n));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!score.ok()) return score.status();
  Measurement m;
  m.score = *score;
  m.inferences = 0;  // unknown: the command evaluates as it pleases
  return m;
}

Result<Measurement> CommandEvaluator::EvaluateModel(const fs::path& model_json) {
  TFQ_ASSIGN_OR_RETURN(double v, RunOn(model_json, "the written model"));
  Measurement m;
  m.score = v;
  return m;
}

}  // namespace tfq::cli
