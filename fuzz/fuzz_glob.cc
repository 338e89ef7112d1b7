// SPDX-License-Identifier: Apache-2.0
// Glob patterns (Python fnmatch rules) on any pattern and name, split at
// the first NUL byte. Oracles: matching always ends (no exponential
// backtracking on "*a*a*a...b"); "*" matches any name; a name escaped as
// glob.escape does matches itself and not its tail; splitting a pattern
// list and joining it gives the list back.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "tfjs_quant/select.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tfq;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view pattern = all.substr(0, nul);
  const std::string_view name = nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
  (void)GlobMatch(pattern, name);
  if (!GlobMatch("*", name)) fuzz::Broken("'*' does not match a name");
  // The name escaped as Python's glob.escape does ('*', '?' and '[' each
  // in a class of its own) matches itself, and only itself.
  std::string escaped;
  for (char c : name) {
    if (c == '*' || c == '?' || c == '[') escaped += std::string("[") + c + "]";
    else escaped += c;
  }
  if (!GlobMatch(escaped, name)) fuzz::Broken("an escaped name does not match itself");
  if (!name.empty() && GlobMatch(escaped, name.substr(1))) fuzz::Broken("an escaped name matches a shorter one");
  std::string joined;
  const auto parts = SplitPatterns(pattern);
  for (size_t i = 0; i < parts.size(); ++i) joined += (i ? "," : "") + parts[i];
  if (joined != pattern) fuzz::Broken("SplitPatterns lost characters");
  return 0;
}
