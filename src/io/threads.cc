// SPDX-License-Identifier: Apache-2.0
// ThreadExecutor: a POSIX thread per task, or the caller's thread alone when
// built without threads (TFJS_QUANT_THREADS=OFF). pthread_create reports
// failure as a value (std::thread would throw): a task whose thread cannot
// start runs on the caller's thread. Workers block SIGINT, SIGTERM and
// SIGHUP, so that a program's handler for them runs on its main thread.
// This file alone is built with exceptions: what a task throws (an
// allocation failure in the core, std::bad_alloc) is caught on its thread
// and rethrown on the caller's, where the program can handle it, instead of
// ending the process from a worker.
#include "tfjs_quant/threads.h"

#include <algorithm>
#include <exception>
#include <vector>

#if TFJS_QUANT_THREADS
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#endif

namespace tfq {

ThreadExecutor::ThreadExecutor(int threads) : threads_(threads > 0 ? threads : DefaultThreads()) {
#if !TFJS_QUANT_THREADS
  threads_ = 1;
#endif
}

int ThreadExecutor::DefaultThreads() {
#if TFJS_QUANT_THREADS
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(std::min<long>(n, 1024)) : 1;
#else
  return 1;
#endif
}

#if TFJS_QUANT_THREADS
namespace {
struct Job {
  const std::function<void(size_t)>* task = nullptr;
  size_t index = 0;
  std::exception_ptr error;
};
void* RunJob(void* arg) {
  Job* job = static_cast<Job*>(arg);
  try {
    (*job->task)(job->index);
  } catch (...) {
    job->error = std::current_exception();
  }
  return nullptr;
}
}  // namespace
#endif

void ThreadExecutor::ForEach(size_t count, const std::function<void(size_t)>& task) {
#if TFJS_QUANT_THREADS
  if (count > 1 && threads_ > 1) {
    std::vector<Job> jobs(count);
    std::vector<pthread_t> started;
    std::vector<size_t> inline_tasks = {0};
    jobs[0] = {&task, 0, nullptr};
    started.reserve(count);
    // New threads inherit the signal mask: block the signals while starting them.
    sigset_t block, old;
    sigemptyset(&block);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (size_t i = 1; i < count; ++i) {
      jobs[i] = {&task, i, nullptr};
      pthread_t t;
      if (pthread_create(&t, nullptr, RunJob, &jobs[i]) == 0) started.push_back(t);
      else inline_tasks.push_back(i);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    for (size_t i : inline_tasks) RunJob(&jobs[i]);
    for (pthread_t t : started) pthread_join(t, nullptr);
    for (const Job& j : jobs)
      if (j.error) std::rethrow_exception(j.error);
    return;
  }
#endif
  for (size_t i = 0; i < count; ++i) task(i);
}

}  // namespace tfq
