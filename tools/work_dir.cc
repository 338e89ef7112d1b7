// SPDX-License-Identifier: Apache-2.0
#include "work_dir.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
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
  std::string tmpl = (base / (kPrefix + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) return IOError("cannot create a temporary folder in " + Printable(base.string()));
  TrackTree(tmpl);
  return WorkDir(tmpl);
}

WorkDir::~WorkDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  UntrackTree(path_);
}

}  // namespace tfq::cli
