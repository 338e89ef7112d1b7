// SPDX-License-Identifier: Apache-2.0
#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli_common.h"

namespace tfq::cli {

ProgressBar::ProgressBar(std::string unit)
    : enabled_(IsTerminal(STDERR_FILENO)), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Update(int done, int total, const std::string& phase) {
  if (!enabled_) return;
  total = std::max({total, done, 1});
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  constexpr int kWidth = 28;
  const int filled = kWidth * done / total;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  char eta[32] = "--:--";
  if (done > 0) {
    int secs = static_cast<int>(elapsed / done * (total - done) + 0.5);
    std::snprintf(eta, sizeof eta, "%d:%02d", secs / 60, secs % 60);
  }
  std::fprintf(stderr, "\r\033[K[%s] %d/~%d %s  %-10s ETA %s", bar.c_str(), done, total, unit_.c_str(), phase.c_str(),
               eta);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace tfq::cli
