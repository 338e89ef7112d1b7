// SPDX-License-Identifier: Apache-2.0
// What the subcommands share: exit codes, error printing, opening the input
// and committing the output.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tfjs_quant/disk.h"
#include "tfjs_quant/tfjs_quant.h"

namespace CLI {
class App;
}

namespace tfq::cli {

// How the CLI says that --force would replace an existing OUT (the disk
// edge names no flag).
inline constexpr std::string_view kReplaceHint = "pass --force to replace it";

// Documented in README.md ("Exit codes"). Every code below 128: 128 and up
// is the shell's "killed by a signal".
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,   // a bug in tfjs-quant
  kExitUsage = 2,      // bad command line: flags, patterns, conflicting rules
  kExitInput = 3,      // the input model cannot be read or is not valid
  kExitOutput = 4,     // the output was refused: exists, overlaps the input, is a link
  kExitIO = 5,         // the OS failed a read or write
  kExitDiffer = 6,     // diff: the two models do not hold the same weight names and shapes
  kExitEvaluator = 7,  // auto: the evaluator is missing or failed (Node, the package, --eval-cmd)
  kExitBudget = 8,     // auto: the budget cannot be met, even with every tensor float32
  kExitLimit = 9,      // the input is larger than a limit allows (--limit raises it)
  kExitMemory = 10,    // out of memory
};

// One exit code per StatusCode: the code decides, never the message text.
int ExitCodeFor(const Status& s);
// Prints "tfjs-quant: error: <message>" (every line made printable) and
// returns the exit code.
int Fail(const Status& s);
void Warn(const std::string& message);

struct OpenedModel {
  ModelLocation where;
  std::unique_ptr<FileSource> source;
  std::unique_ptr<Model> model;
  InputPaths inputs;  // what no output may touch
  std::string shown;  // the model JSON's path, printable
};
// Opens IN with the limits of `limit_specs` (--limit NAME=N ...).
Result<OpenedModel> OpenModel(const std::filesystem::path& in, const std::vector<std::string>& limit_specs);

// Writes `model` with `plan` into a new folder `out`, atomically; `sync`:
// durably (fsync). Shows a progress bar on a terminal for large models.
// `threads` 0 means every core.
Result<WriteReport> WriteOutput(const OpenedModel& in, std::span<const Target> plan, WriteOptions options,
                                const std::filesystem::path& out, bool force, bool sync, int threads);

// The "what it did" lines: tensors per encoding, bytes before and after.
void PrintSummary(const OpenedModel& in, const WriteReport& report, const std::filesystem::path& out);

// --limit NAME=N (repeatable), for every command that reads a model.
void AddLimitOption(CLI::App& sub, std::vector<std::string>& limits);
Result<Limits> ParseLimits(const std::vector<std::string>& specs);
// A whole number from 1 to UINT64_MAX with no sign, no suffix and no
// overflow; messages name `flag` and what the number counts (`unit`).
Result<uint64_t> ParsePositive(const std::string& flag, const std::string& text, const std::string& unit);

// "1,234,567"
std::string Grouped(uint64_t n);
// "41.3"; "exact" for +infinity (a lossless decode); "-inf"
std::string Db(double db);
// A weight name for a table column of `n` characters: printable, and cut
// at the front (names differ at their end) to fit.
std::string ClipName(std::string_view name, size_t n);

// `p` made absolute, or as it is if that fails (no current folder).
std::string AbsolutePath(const std::filesystem::path& p);

// isatty(fd), also in the npx CLI, where emscripten's isatty says yes to
// every standard stream.
bool IsTerminal(int fd);

// Classic edit distance, for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace tfq::cli
