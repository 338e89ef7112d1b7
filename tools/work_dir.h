// SPDX-License-Identifier: Apache-2.0
// auto's temporary folder (candidate weights, --eval-cmd candidates):
// $TMPDIR/tfjs-quant-auto-PID-N, removed when
// the run ends, on a signal (cleanup.h), and, after a SIGKILL, by the next
// run once the PID is gone.
#pragma once

#include <filesystem>

#include "tfjs_quant/status.h"

namespace tfq::cli {

class WorkDir {
 public:
  static Result<WorkDir> Create();
  WorkDir(WorkDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~WorkDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit WorkDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

}  // namespace tfq::cli
