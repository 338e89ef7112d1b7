// SPDX-License-Identifier: Apache-2.0
// Child processes for `auto`: the long-running Node evaluator (JSON lines on
// its stdin/stdout) and a user's --eval-cmd (run once per candidate).
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

  Status WriteLine(const std::string& line);
  // One line of stdout without the newline; kIOError at EOF (the child died).
  Result<std::string> ReadLine();
  // Closes stdin, waits up to `grace` for the child to exit, then kills it.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

 private:
  Child() = default;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buffer_;
};

struct ShellResult {
  int exit_code = 0;   // 128+N when killed by signal N
  std::string out;     // stdout
  std::string err;     // stderr
};
// Runs `command` with /bin/sh -c, capturing stdout and stderr.
Result<ShellResult> RunShell(const std::string& command);

// The last `n` lines of `text`, for error messages.
std::string LastLines(const std::string& text, size_t n);
// Quotes a string for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace tfq::cli
