// SPDX-License-Identifier: Apache-2.0
// cleanup.h for the npx CLI (tools built with emscripten for Node): a
// WebAssembly module cannot catch signals, so the disk edge's temporary
// paths are reported to js/bin/tfjs-quant.js as they come and go; it runs
// this module in a worker thread and, on SIGINT, SIGTERM or SIGHUP, stops
// the worker, removes what is still tracked, and dies of the same signal.
#include "cleanup.h"

#include "cli_common.h"
#include "tfjs_quant/disk.h"

// js/scripts/node_process.js
extern "C" void tfq_track(const char* path, int remove_tree);
extern "C" void tfq_untrack(const char* path);

namespace tfq::cli {
namespace {

class NodeTracker : public TempTracker {
 public:
  void Track(const std::filesystem::path& p, Kind kind) override {
    tfq_track(AbsolutePath(p).c_str(), kind == Kind::kRemove ? 1 : 0);
  }
  void Untrack(const std::filesystem::path& p) override { tfq_untrack(AbsolutePath(p).c_str()); }
};
NodeTracker g_tracker;

}  // namespace

void InstallSignalCleanup() { SetTempTracker(&g_tracker); }

}  // namespace tfq::cli
