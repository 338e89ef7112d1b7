// SPDX-License-Identifier: Apache-2.0
// tfjs-quant inspect MODEL [--json] [--html FILE] [--all]: per-tensor
// statistics, predicted error of each encoding, risk, and sizes on the wire.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "inspect_report.h"
#include "wire_size.h"

namespace tfq::cli {
namespace {

struct InspectArgs {
  std::string in, html;
  bool json = false, all = false, no_wire = false;
};

// Writes `text` to `path` via a temporary file and rename: never half a file.
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

int Run(const InspectArgs& a) {
  auto opened = OpenModel(a.in);
  if (!opened.ok()) return Fail(opened.status());
  std::array<WireSize, kNumVariants> wire;
  InspectOptions options;
  if (!a.no_wire) {
    options.on_bytes = [&wire](int variant, std::span<const uint8_t> bytes) { wire[static_cast<size_t>(variant)].Add(bytes); };
  }
  auto report = Inspect(*opened->model, options);
  if (!report.ok()) return Fail(report.status());
  InspectView view;
  view.model_path = (opened->where.folder / opened->where.json_name).string();
  const ModelFile& mf = opened->model->file();
  view.format = mf.kind == ModelKind::kStandaloneManifest ? "standalone weights manifest"
                                                          : (mf.format.empty() ? "model JSON" : mf.format);
  view.report = std::move(report).value();
  for (size_t k = 0; k < kNumVariants; ++k) {
    wire[k].Finish();
    view.totals[k] = {view.report.total_bytes[k], wire[k].gzip_bytes(), wire[k].brotli_bytes()};
  }
  if (!a.html.empty()) {
    Status s = WriteWhole(a.html, RenderHtml(view));
    if (!s.ok()) return Fail(s);
  }
  if (a.json) {
    std::fputs(RenderJson(view).c_str(), stdout);
  } else {
    const char* term = std::getenv("TERM");
    bool color = isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr && term && std::string(term) != "dumb";
    std::fputs(RenderText(view, a.all, color).c_str(), stdout);
    if (!a.html.empty()) std::printf("\nwrote %s\n", a.html.c_str());
  }
  return kExitOk;
}

}  // namespace

Runner SetupInspect(CLI::App& sub) {
  auto a = std::make_shared<InspectArgs>();
  sub.add_option("MODEL", a->in, kModelHelp)->required();
  sub.add_flag("--json", a->json, "Print the report as JSON (schema: docs/inspect.md) instead of a table");
  sub.add_option("--html", a->html, "Also write a self-contained HTML report to FILE");
  sub.add_flag("--all", a->all, "Show every tensor, not only the 20 riskiest");
  sub.add_flag("--no-wire", a->no_wire, "Skip the gzip/brotli sizes (the slowest part on large models); they print as 0");
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
