// SPDX-License-Identifier: Apache-2.0
#include "work_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cleanup.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/text.h"

namespace tfq::cli {
namespace fs = std::filesystem;

namespace {
constexpr const char* kPrefix = "tfjs-quant-auto-";
}  // namespace

Result<WorkDir> WorkDir::Create() {
  const char* env = std::getenv("TMPDIR");
  const fs::path base = env && *env ? env : "/tmp";
  RemoveLeftoversOfDeadRuns(base, kPrefix);
  // mkdir fails on an existing name (another user's included): never reused.
  for (int n = 0; n < 100; ++n) {
    const fs::path p = base / (kPrefix + std::to_string(::getpid()) + "-" + std::to_string(n));
    if (::mkdir(p.c_str(), 0700) == 0) {
      TrackTree(p);
      return WorkDir(p);
    }
    if (errno != EEXIST) break;
  }
  return IOError("cannot create a temporary folder in " + Printable(base.string()) + ": " + std::strerror(errno));
}

WorkDir::~WorkDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  UntrackTree(path_);
}

}  // namespace tfq::cli
