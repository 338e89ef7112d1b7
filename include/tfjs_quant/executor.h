// SPDX-License-Identifier: Apache-2.0
// How the core runs work in parallel without starting threads itself: the
// caller hands it an Executor. The core splits one large tensor (or a batch
// of small ones) into independent tasks and asks the executor to run them;
// the bytes written are the same whatever the executor does. With none, or
// in a build without threads, everything runs on the caller's thread. The
// thread-backed executor is an edge (tfjs_quant/threads.h).
#pragma once

#include <cstddef>
#include <functional>

namespace tfq {

class Executor {
 public:
  virtual ~Executor() = default;
  // How many tasks may run at once (at least 1).
  virtual int concurrency() const = 0;
  // Calls task(i) exactly once for every i in [0, count), in any order and
  // possibly at the same time, and returns when all have returned.
  virtual void ForEach(size_t count, const std::function<void(size_t)>& task) = 0;
};

}  // namespace tfq
