// SPDX-License-Identifier: Apache-2.0
// The registry is fixed tables of fixed-size slots: the signal handler
// reads them without locks or allocation. Slots are claimed and released by
// the main thread only (the disk edge creates outputs there, and worker
// threads block these signals, so the handler runs on the main thread too).
#include "cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "cli_common.h"
#include "tfjs_quant/disk.h"

namespace tfq::cli {
namespace {

constexpr size_t kPathMax = 4096;
constexpr int kPaths = 256;  // temporary folders and files, parents made for OUT
constexpr int kGroups = 8;   // child process groups (one runs at a time)

enum : int { kFree = 0, kRemove, kRemoveIfEmpty, kClaiming };
struct PathSlot {
  std::atomic<int> state{kFree};
  char path[kPathMax];
};
PathSlot g_paths[kPaths];
std::atomic<pid_t> g_groups[kGroups];

// Past the table's size a path is not removed on a signal; the next run
// removes what a dead one left (tfjs_quant/disk.h), but for parents made
// for OUT, which stay (empty).
void Claim(int state, const std::string& path) {
  if (path.size() >= kPathMax) return;
  for (PathSlot& s : g_paths) {
    // Taken by compare-and-swap: two threads tracking at once never share
    // a slot. kClaiming is neither free nor seen by the handler.
    int expected = kFree;
    if (!s.state.compare_exchange_strong(expected, kClaiming)) continue;
    std::memcpy(s.path, path.c_str(), path.size() + 1);
    s.state.store(state);  // after the path: the handler never sees half of it
    return;
  }
}

void Release(const std::string& path) {
  for (PathSlot& s : g_paths) {
    const int st = s.state.load();
    if ((st == kRemove || st == kRemoveIfEmpty) && std::strcmp(s.path, path.c_str()) == 0) {
      s.state.store(kFree);
      return;
    }
  }
}

// Removes a file or a folder tree (our own, at most a few levels deep) with
// system calls alone: unlinkat, getdents64, rmdir.
void RemoveTree(int dirfd, const char* name, int depth) {
  if (::unlinkat(dirfd, name, 0) == 0 || depth <= 0) return;
  const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[8192];
  for (int pass = 0; pass < 64; ++pass) {
    ::lseek(fd, 0, SEEK_SET);
    bool removed = false;
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<struct dirent64*>(buf + off);
        off += d->d_reclen;
        if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
        RemoveTree(fd, d->d_name, depth - 1);
        removed = true;
      }
    }
    if (!removed) break;
  }
  ::close(fd);
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

void OnSignal(int sig) {
  for (auto& g : g_groups)
    if (const pid_t p = g.load(); p > 0) ::kill(-p, SIGKILL);
  for (PathSlot& s : g_paths)
    if (s.state.load() == kRemove) RemoveTree(AT_FDCWD, s.path, 6);
  // Slots are reused, so their order is not the nesting order: a parent
  // that still holds a child is removed on a later pass.
  for (bool removed = true; removed;) {
    removed = false;
    for (PathSlot& s : g_paths)
      if (s.state.load() == kRemoveIfEmpty && ::rmdir(s.path) == 0) removed = true;
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

class Tracker : public TempTracker {
 public:
  void Track(const std::filesystem::path& p, Kind kind) override {
    Claim(kind == Kind::kRemove ? kRemove : kRemoveIfEmpty, AbsolutePath(p));
  }
  void Untrack(const std::filesystem::path& p) override { Release(AbsolutePath(p)); }
};
Tracker g_tracker;

}  // namespace

void InstallSignalCleanup() {
  SetTempTracker(&g_tracker);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, sig);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);
}

void TrackTree(const std::filesystem::path& p) { g_tracker.Track(p, TempTracker::Kind::kRemove); }
void UntrackTree(const std::filesystem::path& p) { g_tracker.Untrack(p); }

void TrackProcessGroup(pid_t pgid) {
  for (auto& g : g_groups) {
    pid_t expected = 0;
    if (g.compare_exchange_strong(expected, pgid)) return;
  }
}
void UntrackProcessGroup(pid_t pgid) {
  for (auto& g : g_groups) {
    pid_t expected = pgid;
    if (g.compare_exchange_strong(expected, 0)) return;
  }
}

}  // namespace tfq::cli
