// SPDX-License-Identifier: Apache-2.0
// The inspect report in its three forms: a terminal table, JSON (schema in
// docs/inspect.md) and a self-contained HTML page.
#pragma once

#include <array>
#include <cstdint>
#include <string>

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
};

// Tensors sorted by risk (highest first), then by worst uint8 channel SQNR.
std::vector<size_t> RiskOrder(const InspectReport& r);

std::string RenderText(const InspectView& v, bool all, bool color);
std::string RenderJson(const InspectView& v);
std::string RenderHtml(const InspectView& v);

// "1,234,567"
std::string Grouped(uint64_t n);
// "41.3", "exact" for +inf, "-inf"
std::string Db(double db);

}  // namespace tfq::cli
