// SPDX-License-Identifier: Apache-2.0
// Child processes for `auto`: the long-running Node evaluator (JSON lines on
// its stdin/stdout) and a user's --eval-cmd (run once per candidate). Each
// runs in its own process group, which is killed if tfjs-quant is
// (cleanup.h), when it dies (PR_SET_PDEATHSIG, its first process), or when
// it runs past its deadline. Every wait has a deadline; what a child writes
// on stderr is kept in memory, its last 64 KiB, for error messages.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tfjs_quant/status.h"

namespace tfq::cli {

using Deadline = std::chrono::steady_clock::time_point;
// The message of a Child call that reached its deadline.
inline constexpr const char* kTimedOut = "it did not answer in time";
inline Deadline After(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

// The full path of `program` found on PATH, if any.
std::optional<std::filesystem::path> FindOnPath(const std::string& program);

// A child with pipes on stdin, stdout and stderr.
class Child {
 public:
  static Result<Child> Start(const std::vector<std::string>& argv);
  Child(Child&& o) noexcept;
  Child& operator=(Child&&) = delete;
  ~Child();  // kills the child's process group if it still runs

  // kEvaluatorFailed if the child stopped reading (it exited) or did not
  // take the line before `deadline`.
  Status WriteLine(const std::string& line, Deadline deadline);
  // One line of stdout without the newline. kEvaluatorFailed at EOF (the
  // child died), at `deadline`, or for a line longer than kMaxLine.
  Result<std::string> ReadLine(Deadline deadline);
  // The last `n` lines the child wrote on stderr.
  std::string ErrTail(size_t n) const;
  // Closes stdin, waits up to `grace` for the child to exit, then kills its
  // process group and reads what is left on its stderr.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  static constexpr size_t kMaxLine = size_t{8} << 20;

 private:
  Child() = default;
  // Waits until `fd` is ready for `events`, reading stderr meanwhile.
  Status Wait(int fd, short events, Deadline deadline);
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string buffer_, err_tail_;
};

struct ShellResult {
  int exit_code = 0;  // 128+N when killed by signal N
  bool timed_out = false;
  std::string out;    // the last kMaxOutput bytes of stdout
  std::string err;    // the last 64 KiB of stderr
};
inline constexpr size_t kMaxOutput = size_t{1} << 20;
// Runs `command` with /bin/sh -c; kills its process group after `timeout`.
Result<ShellResult> RunShell(const std::string& command, std::chrono::milliseconds timeout);

// The last `n` lines of `text`, for error messages.
std::string LastLines(const std::string& text, size_t n);
// Quotes a string for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace tfq::cli
