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

// How many pieces ParallelFor cuts n elements into.
inline size_t PieceCount(size_t n, int threads) {
  return threads > 1 && n >= kParallelMinElements ? static_cast<size_t>(threads) : 1;
}

// Calls f(piece, begin, end) over [0, n) in PieceCount(n, threads)
// consecutive pieces (or fewer), each a multiple of 64 elements but the
// last; piece 0 on this thread.
template <typename F>
void ParallelFor(size_t n, int threads, F&& f) {
  const size_t pieces = PieceCount(n, threads);
  if (pieces == 1) {
    f(size_t{0}, size_t{0}, n);
    return;
  }
  const size_t step = ((n + pieces - 1) / pieces + 63) / 64 * 64;
  std::vector<std::thread> pool;
  for (size_t p = 1; p < pieces && p * step < n; ++p) {
    const size_t b = p * step, e = std::min(n, b + step);
    pool.emplace_back([&f, p, b, e] { f(p, b, e); });
  }
  f(size_t{0}, size_t{0}, std::min(n, step));
  for (auto& t : pool) t.join();
}

}  // namespace tfq
