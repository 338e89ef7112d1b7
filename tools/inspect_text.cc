// SPDX-License-Identifier: Apache-2.0
// The terminal view of inspect: totals, then tensors by risk.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "inspect_report.h"

namespace tfq::cli {

std::string RenderText(const InspectView& v, bool all, bool color) {
  const auto& r = v.report;
  std::string out;
  out += fmt::format("{}: {} weights ({})\n\n", v.model_path, r.tensors.size(), v.format);
  const char* names[] = {"as stored", "all uint8", "all uint16", "all float16"};
  out += fmt::format("  {:<12} {:>14} {:>14} {:>14}\n", "size", "bytes", "gzip", "brotli");
  for (size_t k = 0; k < kNumVariants; ++k) {
    const auto& t = v.totals[k];
    out += fmt::format("  {:<12} {:>14} {:>14} {:>14}\n", names[k], Grouped(t.bytes), Grouped(t.gzip), Grouped(t.brotli));
  }
  size_t counts[kNumRisks] = {};
  for (const auto& t : r.tensors) ++counts[static_cast<size_t>(t.risk)];
  auto count = [&](Risk k) { return counts[static_cast<size_t>(k)]; };
  out += fmt::format("\n  risk: {} high, {} medium, {} low; SQNR in dB (higher is better), \"worst ch\" = worst output channel\n\n",
                     count(Risk::kHigh), count(Risk::kMedium), count(Risk::kLow));
  auto order = RiskOrder(r);
  size_t shown = all ? order.size() : std::min<size_t>(order.size(), 20);
  out += fmt::format("  {:<6} {:<40} {:<16} {:<8} {:>11} {:>6} {:>8} {:>6} {:>6} {:>5}  {}\n", "risk", "name", "shape",
                     "stored", "bytes", "u8 dB", "worst ch", "u16 dB", "f16 dB", "lvls", "reason");
  for (size_t i = 0; i < shown; ++i) {
    const auto& t = r.tensors[order[i]];
    std::string risk(RiskName(t.risk));
    const std::string stored(StoredName(t.dtype, t.stored));
    std::string line;
    if (t.quantizable && t.elements > 0 && t.nan_count + t.inf_count == 0) {
      line = fmt::format("  {:<6} {:<40} {:<16} {:<8} {:>11} {:>6} {:>8} {:>6} {:>6} {:>5}  {}", risk, ClipName(t.name, 40),
                         ShapeText(t.shape), stored, Grouped(t.stored_bytes), Db(t.uint8.sqnr_db),
                         t.channels > 1 ? Db(t.uint8.worst_channel_sqnr_db) : "-", Db(t.uint16.sqnr_db),
                         Db(t.float16.sqnr_db), t.uint8_levels_used, t.reason);
    } else {
      line = fmt::format("  {:<6} {:<40} {:<16} {:<8} {:>11} {:>6} {:>8} {:>6} {:>6} {:>5}  {}", risk, ClipName(t.name, 40),
                         ShapeText(t.shape), stored, Grouped(t.stored_bytes), "-", "-", "-", "-", "-", t.reason);
    }
    if (color && t.risk == Risk::kHigh) line = "\x1b[31m" + line + "\x1b[0m";
    else if (color && t.risk == Risk::kMedium) line = "\x1b[33m" + line + "\x1b[0m";
    out += line + "\n";
  }
  if (shown < order.size()) out += fmt::format("  ... {} more (--all shows every tensor)\n", order.size() - shown);
  return out;
}

}  // namespace tfq::cli
