// SPDX-License-Identifier: Apache-2.0
// Builds the inspect report shared by `inspect`, `auto --html` and the
// JavaScript package's inspect().
#include <algorithm>
#include <numeric>

#include "report/wire_size.h"
#include "tfjs_quant/report.h"

namespace tfq {

Result<InspectView> BuildInspectView(const Model& model, std::string shown, bool wire,
                                     std::function<void(uint64_t done, uint64_t total)> progress) {
  std::array<WireSize, kNumVariants> sizes;
  for (const WireSize& w : sizes)
    if (wire && !w.ok()) return OutOfMemory("cannot start the gzip and brotli encoders (a report without the wire sizes needs neither)");
  InspectOptions options;
  if (wire) {
    options.on_bytes = [&sizes](int variant, std::span<const uint8_t> bytes) {
      sizes[static_cast<size_t>(variant)].Add(bytes);
    };
  }
  options.progress = std::move(progress);
  TFQ_ASSIGN_OR_RETURN(InspectReport report, Inspect(model, options));
  InspectView view;
  view.model_path = std::move(shown);
  const ModelFile& mf = model.file();
  view.format = mf.kind == ModelKind::kStandaloneManifest ? "standalone weights manifest"
                                                          : (mf.format.empty() ? "model JSON" : mf.format);
  view.report = std::move(report);
  for (size_t k = 0; k < kNumVariants; ++k) {
    sizes[k].Finish();
    view.totals[k] = {view.report.total_bytes[k], sizes[k].gzip_bytes(), sizes[k].brotli_bytes()};
  }
  return view;
}

std::vector<size_t> RiskOrder(const InspectReport& r) {
  std::vector<size_t> idx(r.tensors.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const auto& x = r.tensors[a];
    const auto& y = r.tensors[b];
    if (x.risk != y.risk) return x.risk > y.risk;
    return x.uint8.worst_channel_sqnr_db < y.uint8.worst_channel_sqnr_db;
  });
  return idx;
}

}  // namespace tfq
