// SPDX-License-Identifier: Apache-2.0
// The --budget parser on any text. Oracles: a budget that parses has at
// least one condition, describes itself, and its conditions decide the
// same way on the same metrics; messages are printable and bounded.
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "tfjs_quant/budget.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfq;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto b = ParseBudget(text);
  if (!b.ok()) {
    for (unsigned char c : b.status().message())
      if (c < 0x20 || c == 0x7f) fuzz::Broken("a message holds a control character", b.status());
    if (b.status().message().size() > 4096) fuzz::Broken("a message is not bounded", b.status());
    return 0;
  }
  if (b->conditions.empty()) fuzz::Broken("a budget without conditions parsed");
  Metrics m;
  m.sqnr_db = 31.5;
  m.cosine = 0.9995;
  m.max_abs = 0.02;
  m.top1 = 0.875;
  m.score = 0.5;
  const bool holds = Holds(*b, m);
  bool all = true;
  for (const auto& c : b->conditions) {
    if (!std::isfinite(c.value)) fuzz::Broken("a condition's value is not finite");
    all = all && Holds(c, m);
  }
  if (holds != all) fuzz::Broken("Holds(budget) disagrees with its conditions");
  (void)DescribeMetrics(*b, m);
  return 0;
}
