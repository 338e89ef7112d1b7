// SPDX-License-Identifier: Apache-2.0
// What the subcommands share: exit codes, error printing, opening the input
// and committing the output.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tfjs_quant/tfjs_quant.h"

namespace tfq::cli {

// Documented in README.md ("Exit codes").
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,  // a bug in tfjs-quant
  kExitUsage = 2,     // bad command line: flags, patterns, conflicting rules
  kExitInput = 3,     // the input model cannot be read or is not valid
  kExitOutput = 4,    // the output was refused: exists, or inside the input
  kExitIO = 5,        // the OS failed a read or write
  kExitDiffer = 6,    // diff: the two models do not hold the same weight names and shapes
  kExitEvaluator = 7, // auto: the evaluator is missing or failed (Node, the package, --eval-cmd)
  kExitBudget = 8,    // auto: the budget cannot be met, even with every tensor float32
};

int ExitCodeFor(const Status& s);
// Prints "tfjs-quant: error: <message>" and returns the exit code.
int Fail(const Status& s);
void Warn(const std::string& message);

struct OpenedModel {
  ModelLocation where;
  std::unique_ptr<DiskSource> source;
  std::unique_ptr<Model> model;
  std::vector<std::filesystem::path> files;  // the JSON and every shard
};
Result<OpenedModel> OpenModel(const std::filesystem::path& in);

// Writes `model` with `plan` into a new folder `out`, atomically; `sync`:
// durably (fsync). Shows a progress bar on a terminal for large models.
// options.threads 0 means every core.
Result<WriteReport> WriteOutput(const OpenedModel& in, std::span<const Target> plan, WriteOptions options,
                                const std::filesystem::path& out, bool force, bool sync = false);

// The "what it did" lines: tensors per encoding, bytes before and after.
void PrintSummary(const OpenedModel& in, const WriteReport& report, const std::filesystem::path& out);

// "1,234,567"
std::string Grouped(uint64_t n);
// "[3,3,24,1]"
std::string ShapeText(const std::vector<int64_t>& shape);
// "41.3"; "exact" for +infinity (a lossless decode); "-inf"
std::string Db(double db);

// Threads to use when the user did not say: every core.
int DefaultThreads();

// Writes `text` to `path` via a temporary file and rename: never half a file.
Status WriteWhole(const std::string& path, const std::string& text);

// Classic edit distance, for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace tfq::cli
