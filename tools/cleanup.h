// SPDX-License-Identifier: Apache-2.0
// What the tool removes when SIGINT, SIGTERM or SIGHUP ends it: the disk
// edge's temporary folders and files (through tfq::TempTracker), auto's
// work folder, and the process groups of --eval-cmd children. The handler
// uses only async-signal-safe system calls, then dies of the same signal,
// so the caller still sees how it ended. SIGKILL cannot be caught: what it
// leaves, the next run beside the same OUT removes (tfjs_quant/disk.h).
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace tfq::cli {

// Installs the handlers and the tracker; SIGPIPE and SIGXFSZ are ignored so
// that a dead evaluator or a file-size limit is an error to report, not a
// silent death.
void InstallSignalCleanup();

// For paths the tool creates itself (auto's work folder).
void TrackTree(const std::filesystem::path& p);
void UntrackTree(const std::filesystem::path& p);
// A child's process group, killed (SIGKILL) if the tool is.
void TrackProcessGroup(pid_t pgid);
void UntrackProcessGroup(pid_t pgid);

}  // namespace tfq::cli
