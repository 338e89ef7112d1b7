// SPDX-License-Identifier: Apache-2.0
// A one-line progress bar with an ETA on stderr, drawn only on a terminal.
#pragma once

#include <chrono>
#include <string>

namespace tfq::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string unit);  // enabled iff stderr is a terminal
  // `total` is an estimate and may change; the ETA uses the mean time per step.
  void Update(int done, int total, const std::string& phase);
  void Finish();  // clears the line

 private:
  bool enabled_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

}  // namespace tfq::cli
