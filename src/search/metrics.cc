// SPDX-License-Identifier: Apache-2.0
// One measurement's samples summarized into the budget's metrics: the worst
// (input, output) for SQNR, cosine and max-abs; the worst output for top-1.
#include <cmath>
#include <utility>
#include <vector>

#include "tfjs_quant/search.h"
#include "util/log10.h"

namespace tfq {

Metrics Summarize(const Measurement& m) {
  Metrics out;
  out.score = m.score;
  std::vector<std::pair<int64_t, int64_t>> top;  // per output: agree, total
  for (const Sample& s : m.samples) {
    if (s.non_finite > 0) out.non_finite = true;
    double db = s.err == 0 ? INFINITY : (s.sig == 0 ? -INFINITY : 10 * Log10(s.sig / s.err));
    out.sqnr_db = std::min(out.sqnr_db, db);
    double den = std::sqrt(s.sig * s.nout);
    double cos = den > 0 ? s.dot / den : (s.sig == s.nout ? 1.0 : 0.0);
    out.cosine = std::min(out.cosine, cos);
    out.max_abs = std::max(out.max_abs, s.max_abs);
    if (static_cast<size_t>(s.output) >= top.size()) top.resize(static_cast<size_t>(s.output) + 1);
    auto& t = top[static_cast<size_t>(s.output)];
    t.first += s.argmax_ref == s.argmax_out;
    t.second += 1;
  }
  for (const auto& [agree, total] : top)
    if (total > 0) out.top1 = std::min(out.top1, static_cast<double>(agree) / static_cast<double>(total));
  return out;
}

}  // namespace tfq
