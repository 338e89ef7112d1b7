// SPDX-License-Identifier: Apache-2.0
// ThreadExecutor: std::thread per task, or the caller's thread alone when
// built without threads (TFJS_QUANT_THREADS=OFF).
#include "tfjs_quant/threads.h"

#include <algorithm>
#include <vector>

#if TFJS_QUANT_THREADS
#include <thread>
#endif

namespace tfq {

ThreadExecutor::ThreadExecutor(int threads) : threads_(threads > 0 ? threads : DefaultThreads()) {
#if !TFJS_QUANT_THREADS
  threads_ = 1;
#endif
}

int ThreadExecutor::DefaultThreads() {
#if TFJS_QUANT_THREADS
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#else
  return 1;
#endif
}

void ThreadExecutor::ForEach(size_t count, const std::function<void(size_t)>& task) {
#if TFJS_QUANT_THREADS
  if (count > 1 && threads_ > 1) {
    std::vector<std::thread> pool;
    pool.reserve(count - 1);
    for (size_t i = 1; i < count; ++i) pool.emplace_back([&task, i] { task(i); });
    task(0);
    for (auto& t : pool) t.join();
    return;
  }
#endif
  for (size_t i = 0; i < count; ++i) task(i);
}

}  // namespace tfq
