// SPDX-License-Identifier: Apache-2.0
#include "work_dir.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "cleanup.h"
#include "tfjs_quant/text.h"

namespace tfq::cli {
namespace fs = std::filesystem;

namespace {
constexpr const char* kPrefix = "tfjs-quant-auto-";

// Folders of earlier runs whose process is gone (killed with SIGKILL).
void RemoveStale(const fs::path& base) {
  std::error_code ec;
  fs::directory_iterator it(base, ec), end;
  std::vector<fs::path> stale;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n.rfind(kPrefix, 0) != 0) continue;
    const long pid = std::strtol(n.c_str() + std::string(kPrefix).size(), nullptr, 10);
    std::error_code sec;
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH &&
        fs::is_directory(fs::symlink_status(it->path(), sec))) {
      stale.push_back(it->path());
    }
  }
  for (const auto& p : stale) fs::remove_all(p, ec);
}
}  // namespace

Result<WorkDir> WorkDir::Create() {
  const char* env = std::getenv("TMPDIR");
  const fs::path base = env && *env ? env : "/tmp";
  RemoveStale(base);
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
