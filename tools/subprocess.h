// SPDX-License-Identifier: Apache-2.0
// Child processes for `auto`: the long-running Node evaluator (JSON lines on
// its stdin/stdout) and a user's --eval-cmd (run once per candidate). Each
// runs in its own process group, which is killed if tfjs-quant is
// (cleanup.h) or if it runs past its time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tfjs_quant/status.h"

namespace tfq::cli {

// The full path of `program` found on PATH, if any.
std::optional<std::filesystem::path> FindOnPath(const std::string& program);

// A child with pipes on stdin and stdout; its stderr goes to `stderr_file`.
class Child {
 public:
  static Result<Child> Start(const std::vector<std::string>& argv, const std::filesystem::path& stderr_file);
  Child(Child&& o) noexcept;
  Child& operator=(Child&&) = delete;
  ~Child();  // kills the child if it still runs

  // kEvaluatorFailed if the child stopped reading (it exited).
  Status WriteLine(const std::string& line);
  // One line of stdout without the newline. kEvaluatorFailed at EOF (the
  // child died), after `timeout` without a whole line, or for a line longer
  // than kMaxLine.
  Result<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Closes stdin, waits up to `grace` for the child to exit, then kills it.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  static constexpr size_t kMaxLine = size_t{64} << 20;

 private:
  Child() = default;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buffer_;
};

struct ShellResult {
  int exit_code = 0;     // 128+N when killed by signal N
  bool timed_out = false;
  std::string out;       // stdout (its last kMaxOutput bytes)
};
inline constexpr size_t kMaxOutput = size_t{1} << 20;
// Runs `command` with /bin/sh -c, stdout captured, stderr into
// `stderr_file`; kills its process group after `timeout`.
Result<ShellResult> RunShell(const std::string& command, const std::filesystem::path& stderr_file,
                             std::chrono::milliseconds timeout);

// The last `n` lines of `text`, for error messages.
std::string LastLines(const std::string& text, size_t n);
// The last `n` lines of a file (its last 64 KiB at most).
std::string FileTail(const std::filesystem::path& file, size_t n);
// Quotes a string for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace tfq::cli
