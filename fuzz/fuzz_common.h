// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets share: limits small enough that one input runs in
// microseconds (the defaults allow gigabytes), and an oracle that stops
// the run loudly (libFuzzer records the input).
#pragma once

#include <cstdio>
#include <cstdlib>

#include "tfjs_quant/limits.h"
#include "tfjs_quant/status.h"

namespace tfq::fuzz {

inline Limits SmallLimits() {
  Limits l;
  l.json_bytes = 1 << 20;
  l.json_depth = 200;
  l.tensor_elements = 1 << 16;
  l.weights = 256;
  l.groups = 16;
  l.shards = 64;
  l.string_bytes = 1 << 16;
  return l;
}

// An invariant broke: print why and abort (a crash for libFuzzer).
[[noreturn]] inline void Broken(const char* what, const Status& s = Status::Ok()) {
  std::fprintf(stderr, "fuzz oracle: %s (%s: %s)\n", what, StatusCodeName(s.code()), s.message().c_str());
  std::abort();
}

}  // namespace tfq::fuzz
