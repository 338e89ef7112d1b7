// SPDX-License-Identifier: Apache-2.0
// The thread-backed Executor: an edge of the library, like the disk. A
// build with TFJS_QUANT_THREADS=OFF (as for WebAssembly) keeps the class
// but runs every task on the caller's thread.
#pragma once

#include "tfjs_quant/executor.h"

namespace tfq {

class ThreadExecutor : public Executor {
 public:
  // `threads` <= 0: one per core.
  explicit ThreadExecutor(int threads);
  int concurrency() const override { return threads_; }
  // Task 0 runs on the caller's thread, the others on threads started for
  // this call. What a task throws (std::bad_alloc) is rethrown here once
  // every task has returned.
  void ForEach(size_t count, const std::function<void(size_t)>& task) override;
  // Cores the machine reports (1 in a build without threads).
  static int DefaultThreads();

 private:
  int threads_;
};

}  // namespace tfq
