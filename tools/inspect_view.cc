// SPDX-License-Identifier: Apache-2.0
// Builds the inspect report shared by `inspect` and `auto --html`.
#include "inspect_report.h"
#include "progress.h"
#include "wire_size.h"

namespace tfq::cli {

Result<InspectView> BuildInspectView(const OpenedModel& in, bool wire) {
  std::array<WireSize, kNumVariants> sizes;
  for (const WireSize& w : sizes)
    if (wire && !w.ok()) return OutOfMemory("cannot start the gzip and brotli encoders (inspect --no-wire skips them)");
  InspectOptions options;
  if (wire) {
    options.on_bytes = [&sizes](int variant, std::span<const uint8_t> bytes) {
      sizes[static_cast<size_t>(variant)].Add(bytes);
    };
  }
  ProgressBar bar("MiB");
  if (in.model->total_bytes() >= (uint64_t{64} << 20)) {
    options.progress = [&bar](uint64_t done, uint64_t total) {
      bar.Update(static_cast<int>(done >> 20), static_cast<int>(total >> 20), "inspecting");
    };
  }
  auto inspected = Inspect(*in.model, options);
  bar.Finish();
  TFQ_ASSIGN_OR_RETURN(InspectReport report, std::move(inspected));
  InspectView view;
  view.model_path = in.shown;
  const ModelFile& mf = in.model->file();
  view.format = mf.kind == ModelKind::kStandaloneManifest ? "standalone weights manifest"
                                                          : (mf.format.empty() ? "model JSON" : mf.format);
  view.report = std::move(report);
  for (size_t k = 0; k < kNumVariants; ++k) {
    sizes[k].Finish();
    view.totals[k] = {view.report.total_bytes[k], sizes[k].gzip_bytes(), sizes[k].brotli_bytes()};
  }
  return view;
}

}  // namespace tfq::cli
