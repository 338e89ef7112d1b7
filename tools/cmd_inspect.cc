// SPDX-License-Identifier: Apache-2.0
// tfjs-quant inspect MODEL [--json] [--html FILE] [--all]: per-tensor
// statistics, predicted error of each encoding, risk, and sizes on the wire.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "inspect_report.h"

namespace tfq::cli {
namespace {

struct InspectArgs {
  std::string in, html;
  bool json = false, all = false, no_wire = false;
  std::vector<std::string> limits;
};

int Run(const InspectArgs& a) {
  auto opened = OpenModel(a.in, a.limits);
  if (!opened.ok()) return Fail(opened.status());
  auto built = InspectOpened(*opened, !a.no_wire);
  if (!built.ok()) return Fail(built.status());
  const InspectView& view = *built;
  if (!a.html.empty()) {
    Status s = WriteFileAtomically(a.html, RenderHtml(view), opened->inputs);
    if (!s.ok()) return Fail(s);
  }
  if (a.json) {
    std::fputs(RenderInspectJson(view).c_str(), stdout);
  } else {
    const char* term = std::getenv("TERM");
    bool color = IsTerminal(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr && term && std::string(term) != "dumb";
    std::fputs(RenderText(view, a.all, color).c_str(), stdout);
    if (!a.html.empty()) std::printf("\nwrote %s\n", Printable(a.html, 300).c_str());
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
  AddLimitOption(sub, a->limits);
  return [a] { return Run(*a); };
}

}  // namespace tfq::cli
