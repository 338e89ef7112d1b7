// SPDX-License-Identifier: Apache-2.0
#include "cli_common.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "progress.h"
#include <algorithm>
#include <map>

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
  }
  return kExitInternal;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "tfjs-quant: error: %s\n", s.message().c_str());
  return ExitCodeFor(s);
}

void Warn(const std::string& message) { std::fprintf(stderr, "tfjs-quant: warning: %s\n", message.c_str()); }

Result<OpenedModel> OpenModel(const fs::path& in) {
  OpenedModel om;
  TFQ_ASSIGN_OR_RETURN(om.where, LocateModel(in));
  om.source = std::make_unique<DiskSource>(om.where.folder);
  auto model = Model::Open(*om.source, om.where.json_name);
  if (!model.ok()) return model.status();
  om.model = std::make_unique<Model>(std::move(model).value());
  om.files.push_back(om.where.folder / om.where.json_name);
  for (const auto& g : om.model->file().groups)
    for (const auto& p : g.paths) om.files.push_back(om.where.folder / p);
  return om;
}

Result<WriteReport> WriteOutput(const OpenedModel& in, std::span<const Target> plan, WriteOptions options,
                                const fs::path& out, bool force, bool sync) {
  TFQ_ASSIGN_OR_RETURN(auto dir, OutputDir::Create(out, in.where.folder, in.where.is_folder, in.files, force));
  dir->set_sync(sync);
  if (options.threads <= 0) options.threads = DefaultThreads();
  // A bar only when it is worth one: 64 MiB takes about a tenth of a second.
  ProgressBar bar("MiB");
  if (in.model->total_bytes() >= (uint64_t{64} << 20)) {
    options.progress = [&bar](uint64_t done, uint64_t total) {
      bar.Update(static_cast<int>(done >> 20), static_cast<int>(total >> 20), "writing");
    };
  }
  auto report = WriteModel(*in.model, plan, options, *dir);
  bar.Finish();
  if (!report.ok()) return report.status();
  TFQ_RETURN_IF_ERROR(dir->Commit());
  return report;
}

std::string Grouped(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string Db(double db) {
  if (std::isinf(db)) return db > 0 ? "exact" : "-inf";
  return fmt::format("{:.1f}", db);
}

namespace {
std::string EncodingLabel(const WeightEntry& e, Encoding enc) {
  return enc == Encoding::kRaw ? std::string(DTypeName(e.dtype)) : std::string(EncodingName(enc));
}
}  // namespace

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
    const bool kept = !o.changed;
    std::string label = EncodingLabel(e, o.after);
    if (kept) label += " (kept)";
    else label = EncodingLabel(e, o.before) + " -> " + label;
    Row& r = rows[label];
    ++r.count;
    r.before += o.bytes_before;
    r.after += o.bytes_after;
  }
  size_t shards = report.files.size() - 1;
  fmt::print("{}: {} weights, {} bytes ({})\n", (in.where.folder / in.where.json_name).string(), mf.num_weights(),
             Grouped(report.bytes_before),
             mf.kind == ModelKind::kStandaloneManifest ? "standalone weights manifest"
                                                       : (mf.format.empty() ? "model JSON" : mf.format));
  fmt::print("  {:<28} {:>8} {:>14} {:>14}\n", "encoding", "weights", "bytes before", "bytes after");
  for (const auto& [label, r] : rows) {
    fmt::print("  {:<28} {:>8} {:>14} {:>14}\n", label, r.count, Grouped(r.before), Grouped(r.after));
  }
  double pct = report.bytes_before ? 100.0 * static_cast<double>(report.bytes_after) / static_cast<double>(report.bytes_before) : 100.0;
  fmt::print("  {:<28} {:>8} {:>14} {:>14}  ({:.1f}%)\n", "total", report.tensors.size(), Grouped(report.bytes_before),
             Grouped(report.bytes_after), pct);
  fmt::print("wrote {}: {} + {} shard{}\n", out.string(), mf.file_name, shards, shards == 1 ? "" : "s");
}

int DefaultThreads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

Status WriteWhole(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tfjs-quant-tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return IOError("cannot write " + tmp);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!f) return IOError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IOError("cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
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
