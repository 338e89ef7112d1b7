// SPDX-License-Identifier: Apache-2.0
#include "cli_common.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "progress.h"
#include "tfjs_quant/threads.h"

namespace tfq::cli {
namespace fs = std::filesystem;

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kParseError:
    case StatusCode::kFormatError:
    case StatusCode::kUnsupported:
    case StatusCode::kNotFound:
    case StatusCode::kUnsafePath: return kExitInput;
    case StatusCode::kAlreadyExists: return kExitOutput;
    case StatusCode::kIOError: return kExitIO;
    case StatusCode::kMismatch: return kExitDiffer;
    case StatusCode::kEvaluatorFailed: return kExitEvaluator;
    case StatusCode::kBudgetUnreachable: return kExitBudget;
    case StatusCode::kLimitExceeded: return kExitLimit;
    case StatusCode::kOutOfMemory: return kExitMemory;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int Fail(const Status& s) {
  // The library keeps input text out of messages or escapes it; escape
  // every line again here, since some lines quote other programs (an
  // evaluator's last words).
  std::string text;
  size_t start = 0;
  for (int lines = 0; start <= s.message().size() && lines < 40; ++lines) {
    size_t nl = s.message().find('\n', start);
    if (nl == std::string::npos) nl = s.message().size();
    text += (lines ? "\n" : "") + Printable(std::string_view(s.message()).substr(start, nl - start), 2000);
    start = nl + 1;
  }
  // The library names the limit; the flag that raises it is the CLI's.
  if (!s.limit().empty()) text += "; to allow it, pass --limit " + std::string(s.limit()) + "=N (docs/safety.md)";
  std::fprintf(stderr, "tfjs-quant: error: %s\n", text.c_str());
  return ExitCodeFor(s);
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "tfjs-quant: warning: %s\n", Printable(message, 2000).c_str());
}

Result<OpenedModel> OpenModel(const fs::path& in, const std::vector<std::string>& limit_specs) {
  TFQ_ASSIGN_OR_RETURN(const Limits limits, ParseLimits(limit_specs));
  OpenedModel om;
  TFQ_ASSIGN_OR_RETURN(om.where, LocateModel(in));
  TFQ_ASSIGN_OR_RETURN(om.source, DiskSource::Create(om.where.folder));
  // The JSON the user named is read as named (any file name, a link); only
  // the shards the manifest names go through the folder's rules.
  TFQ_ASSIGN_OR_RETURN(std::string text,
                       ReadModelJson(om.where.folder / om.where.json_name, limits.json_bytes, "json_bytes"));
  auto model = Model::FromText(*om.source, std::move(text), om.where.json_name, limits);
  if (!model.ok()) return model.status();
  om.model = std::make_unique<Model>(std::move(model).value());
  om.inputs.folder = om.where.folder;
  om.inputs.folder_is_input = om.where.is_folder;
  om.inputs.files.push_back(om.where.folder / om.where.json_name);
  for (const auto& g : om.model->file().groups)
    for (const auto& f : g.files) om.inputs.files.push_back(om.where.folder / f);
  om.shown = Printable((om.where.folder / om.where.json_name).string(), 300);
  return om;
}

namespace {

// A test hook: with TFJS_QUANT_TEST_KILL_AFTER_FILES=N in the environment the
// tool kills itself with SIGKILL just after its Nth output file is written,
// as kill -9 or the out-of-memory killer would. What a killed run leaves is
// then tested at a known point (tests/cli_test.cc) instead of by racing a
// large write with kill.
class KillAfterFiles : public FileSink {
 public:
  KillAfterFiles(FileSink& sink, long files) : sink_(sink), left_(files) {}
  Status WriteFile(std::string_view name, std::span<const uint8_t> data) override {
    Status s = sink_.WriteFile(name, data);
    if (s.ok() && --left_ == 0) ::kill(::getpid(), SIGKILL);
    return s;
  }
  Status Rename(std::string_view from, std::string_view to) override { return sink_.Rename(from, to); }

 private:
  FileSink& sink_;
  long left_;
};

long KillAfterFilesFromEnv() {
  const char* v = std::getenv("TFJS_QUANT_TEST_KILL_AFTER_FILES");
  return v ? std::strtol(v, nullptr, 10) : 0;
}

}  // namespace

Result<WriteReport> WriteOutput(const OpenedModel& in, std::span<const Target> plan, WriteOptions options,
                                const fs::path& out, bool force, bool sync, int threads) {
  TFQ_ASSIGN_OR_RETURN(auto dir, OutputDir::Create(out, in.inputs, force, kReplaceHint));
  dir->set_sync(sync);
  ThreadExecutor executor(threads);
  options.executor = &executor;
  // A bar only when it is worth one: 64 MiB takes about a tenth of a second.
  ProgressBar bar("MiB");
  if (in.model->total_bytes() >= (uint64_t{64} << 20)) {
    options.progress = [&bar](uint64_t done, uint64_t total) {
      bar.Update(static_cast<int>(done >> 20), static_cast<int>(total >> 20), "writing");
    };
  }
  const long kill_after = KillAfterFilesFromEnv();
  KillAfterFiles killer(*dir, kill_after);
  auto report = WriteModel(*in.model, plan, options, kill_after > 0 ? static_cast<FileSink&>(killer) : *dir);
  bar.Finish();
  if (!report.ok()) return report.status();
  TFQ_RETURN_IF_ERROR(dir->Commit());
  return report;
}

void AddLimitOption(CLI::App& sub, std::vector<std::string>& limits) {
  std::string names;
  for (const LimitInfo& l : LimitTable()) names += (names.empty() ? "" : ", ") + std::string(l.name);
  sub.add_option("--limit", limits, "Raise (or lower) a safety limit, e.g. --limit json_depth=5000; limits: " + names +
                                        " (defaults and meaning: docs/safety.md)")
      ->type_name("NAME=N");
}

Result<uint64_t> ParsePositive(const std::string& flag, const std::string& text, const std::string& unit) {
  uint64_t v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (text.empty() || ec != std::errc() || ptr != e || v == 0) {
    return InvalidArgument(Printable(flag, 80) + " " + Quoted(text, 80) + ": expected a whole number " +
                           (unit.empty() ? "" : "of " + unit + " ") + "from 1 to " + std::to_string(UINT64_MAX));
  }
  return v;
}

Result<Limits> ParseLimits(const std::vector<std::string>& specs) {
  Limits limits;
  for (const auto& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) return InvalidArgument("--limit " + Quoted(spec) + ": expected NAME=N, e.g. json_depth=5000");
    TFQ_ASSIGN_OR_RETURN(uint64_t v, ParsePositive("--limit " + spec.substr(0, eq), spec.substr(eq + 1), ""));
    TFQ_RETURN_IF_ERROR(SetLimit(&limits, spec.substr(0, eq), v));
  }
  return limits;
}

std::string Grouped(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string Db(double db) {
  if (std::isinf(db)) return db > 0 ? "exact" : "-inf";
  return fmt::format("{:.1f}", db);
}

std::string ClipName(std::string_view name, size_t n) {
  // The tail is what tells names apart: cut the raw name first (at a
  // character boundary), then make it printable.
  if (name.size() > 4 * n) {
    size_t from = name.size() - 4 * n;
    while (from < name.size() && (static_cast<unsigned char>(name[from]) & 0xC0) == 0x80) ++from;
    name = name.substr(from);
  }
  std::string p = Printable(name, std::string::npos);
  size_t chars = 0;
  for (unsigned char c : p) chars += (c & 0xC0) != 0x80;
  if (chars <= n) return p;
  // Keep the last n-1 characters after an ellipsis.
  size_t cut = p.size(), kept = 0;
  while (cut > 0 && kept < n - 1) {
    --cut;
    if ((static_cast<unsigned char>(p[cut]) & 0xC0) != 0x80) ++kept;
  }
  return "…" + p.substr(cut);
}

void PrintSummary(const OpenedModel& in, const WriteReport& report, const fs::path& out) {
  const Model& m = *in.model;
  const ModelFile& mf = m.file();
  struct Row {
    size_t count = 0;
    uint64_t before = 0, after = 0;
  };
  std::map<std::string, Row> rows;
  for (size_t i = 0; i < report.tensors.size(); ++i) {
    const auto& o = report.tensors[i];
    const WeightEntry& e = m.entry(m.tensors()[i]);
    std::string label(StoredName(e.dtype, o.after));
    if (!o.changed) label += " (kept)";
    else label = std::string(StoredName(e.dtype, o.before)) + " -> " + label;
    Row& r = rows[label];
    ++r.count;
    r.before += o.bytes_before;
    r.after += o.bytes_after;
  }
  size_t shards = report.files.size() - 1;
  fmt::print("{}: {} weights, {} bytes ({})\n", in.shown, mf.num_weights(), Grouped(report.bytes_before),
             mf.kind == ModelKind::kStandaloneManifest ? "standalone weights manifest"
                                                       : (mf.format.empty() ? "model JSON" : mf.format));
  fmt::print("  {:<28} {:>8} {:>14} {:>14}\n", "encoding", "weights", "bytes before", "bytes after");
  for (const auto& [label, r] : rows) {
    fmt::print("  {:<28} {:>8} {:>14} {:>14}\n", label, r.count, Grouped(r.before), Grouped(r.after));
  }
  double pct = report.bytes_before ? 100.0 * static_cast<double>(report.bytes_after) / static_cast<double>(report.bytes_before) : 100.0;
  fmt::print("  {:<28} {:>8} {:>14} {:>14}  ({:.1f}%)\n", "total", report.tensors.size(), Grouped(report.bytes_before),
             Grouped(report.bytes_after), pct);
  fmt::print("wrote {}: {} + {} shard{}\n", Printable(out.string(), 300), Printable(mf.file_name, 300), shards,
             shards == 1 ? "" : "s");
}

#ifdef TFJS_QUANT_NODE_CLI
extern "C" int tfq_isatty(int fd);  // js/scripts/node_process.js
bool IsTerminal(int fd) { return tfq_isatty(fd) != 0; }
#else
bool IsTerminal(int fd) { return ::isatty(fd) != 0; }
#endif

std::string AbsolutePath(const fs::path& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return (ec ? p : a).string();
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace tfq::cli
