// SPDX-License-Identifier: Apache-2.0
// The inspect report in its three forms: a terminal table, JSON (schema in
// docs/inspect.md) and a self-contained HTML page.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "cli_common.h"
#include "tfjs_quant/inspect.h"

namespace tfq::cli {

struct WireTotals {
  uint64_t bytes = 0, gzip = 0, brotli = 0;
};

struct InspectView {
  std::string model_path;
  std::string format;  // "graph-model", "layers-model", "standalone weights manifest", ...
  InspectReport report;
  std::array<WireTotals, kNumVariants> totals;  // stored, uint8, uint16, float16
  // Set by `auto --html`: per tensor (manifest order) the chosen encoding and
  // why, and a summary line; the page then shows them.
  std::vector<std::string> auto_choice, auto_why;
  std::string auto_summary;
};

// Inspects an opened model; `wire`: also the gzip/brotli sizes.
Result<InspectView> BuildInspectView(const OpenedModel& in, bool wire);

// Tensors sorted by risk (highest first), then by worst uint8 channel SQNR.
std::vector<size_t> RiskOrder(const InspectReport& r);

std::string RenderText(const InspectView& v, bool all, bool color);
std::string RenderJson(const InspectView& v);
std::string RenderHtml(const InspectView& v);

}  // namespace tfq::cli
