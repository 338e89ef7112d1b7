// SPDX-License-Identifier: Apache-2.0
#include "inspect_report.h"
#include "progress.h"

namespace tfq::cli {

Result<InspectView> InspectOpened(const OpenedModel& in, bool wire) {
  ProgressBar bar("MiB");
  std::function<void(uint64_t, uint64_t)> progress;
  if (in.model->total_bytes() >= (uint64_t{64} << 20)) {
    progress = [&bar](uint64_t done, uint64_t total) {
      bar.Update(static_cast<int>(done >> 20), static_cast<int>(total >> 20), "inspecting");
    };
  }
  auto view = tfq::BuildInspectView(*in.model, in.shown, wire, std::move(progress));
  bar.Finish();
  return view;
}

}  // namespace tfq::cli
