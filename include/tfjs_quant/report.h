// SPDX-License-Identifier: Apache-2.0
// The inspect report as `tfjs-quant inspect` and the JavaScript package give
// it: the core's per-tensor statistics (tfjs_quant/inspect.h) plus each
// variant's size on the wire (gzip, brotli) and the JSON form (schema in
// docs/inspect.md); and diff's JSON. Target tfjs_quant::report: the core plus zlib and
// brotli; no file system, threads or exceptions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tfjs_quant/diff.h"
#include "tfjs_quant/inspect.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/status.h"

namespace tfq {

struct WireTotals {
  uint64_t bytes = 0, gzip = 0, brotli = 0;
};

struct InspectView {
  std::string model_path;  // as shown to the user
  std::string format;      // "graph-model", "layers-model", "standalone weights manifest", ...
  InspectReport report;
  std::array<WireTotals, kNumVariants> totals;  // stored, uint8, uint16, float16
  // Set by `auto --html`: per tensor (manifest order) the chosen encoding and
  // why, and a summary line; the page then shows them.
  std::vector<std::string> auto_choice, auto_why;
  std::string auto_summary;
};

// Inspects `model`, shown to the user as `shown`; `wire`: also the
// gzip/brotli sizes (else they are 0). `progress` as InspectOptions'.
Result<InspectView> BuildInspectView(const Model& model, std::string shown, bool wire,
                                     std::function<void(uint64_t done, uint64_t total)> progress = nullptr);

// Tensors sorted by risk (highest first), then by worst uint8 channel SQNR.
std::vector<size_t> RiskOrder(const InspectReport& r);

// `tfjs-quant inspect --json`, newline-terminated.
std::string RenderInspectJson(const InspectView& v);

// A diff as the JavaScript package's diff() returns it: {"tensors": [{name,
// dtype, a, b, bytesOnly, differs, maxAbsError, rmse, sqnrDb, cosine}],
// "differ": N}, camelCase as JavaScript names things; non-finite figures
// are null.
std::string RenderDiffJson(const DiffReport& r);

// The compression settings of the wire sizes, for reports and docs.
inline constexpr int kGzipLevel = 6;         // gzip's and nginx-style default
inline constexpr int kBrotliQuality = 5;     // a typical on-the-fly CDN setting
inline constexpr int kBrotliWindowBits = 20;

}  // namespace tfq
