// SPDX-License-Identifier: Apache-2.0
// Splitting one large tensor's work into pieces for an Executor. The pieces
// are independent runs of the same kernel over consecutive ranges, so the
// bytes are the same whatever the executor; small tensors stay in one piece
// (a task costs more than they do).
#pragma once

#include <algorithm>
#include <cstddef>

#include "tfjs_quant/executor.h"

namespace tfq {

// Below this many elements a tensor is not split.
inline constexpr size_t kParallelMinElements = size_t{1} << 18;

inline int Concurrency(Executor* ex) { return ex ? std::max(1, ex->concurrency()) : 1; }

// How many pieces ParallelFor cuts n elements into.
inline size_t PieceCount(size_t n, Executor* ex) {
  const int c = Concurrency(ex);
  return c > 1 && n >= kParallelMinElements ? static_cast<size_t>(c) : 1;
}

// Calls f(piece, begin, end) over [0, n) in PieceCount(n, ex) consecutive
// pieces (or fewer), each a multiple of 64 elements but the last.
template <typename F>
void ParallelFor(size_t n, Executor* ex, F&& f) {
  const size_t pieces = PieceCount(n, ex);
  if (pieces == 1) {
    f(size_t{0}, size_t{0}, n);
    return;
  }
  const size_t step = ((n + pieces - 1) / pieces + 63) / 64 * 64;
  const size_t used = (n + step - 1) / step;
  ex->ForEach(used, [&](size_t p) { f(p, p * step, std::min(n, p * step + step)); });
}

}  // namespace tfq
