// SPDX-License-Identifier: Apache-2.0
// Splitting one large tensor's work across threads. The pieces are
// independent runs of the same kernel over consecutive ranges, so the bytes
// are the same whatever the thread count; small tensors stay on the caller's
// thread (starting a thread costs more than they do).
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace tfq {

// Below this many elements a tensor is not split.
inline constexpr size_t kParallelMinElements = size_t{1} << 18;

// Calls f(begin, end) over [0, n) in at most `threads` consecutive pieces,
// each a multiple of 64 elements but the last; piece 0 on this thread.
template <typename F>
void ParallelFor(size_t n, int threads, F&& f) {
  size_t pieces = threads > 1 && n >= kParallelMinElements ? static_cast<size_t>(threads) : 1;
  if (pieces == 1) {
    f(size_t{0}, n);
    return;
  }
  const size_t step = ((n + pieces - 1) / pieces + 63) / 64 * 64;
  std::vector<std::thread> pool;
  for (size_t p = 1; p < pieces && p * step < n; ++p) {
    const size_t b = p * step, e = std::min(n, b + step);
    pool.emplace_back([&f, b, e] { f(b, e); });
  }
  f(size_t{0}, std::min(n, step));
  for (auto& t : pool) t.join();
}

}  // namespace tfq
