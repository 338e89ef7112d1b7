// SPDX-License-Identifier: Apache-2.0
// The registry is a fixed table of fixed-size slots: the signal handler
// reads it without locks or allocation. Slots are claimed and released by
// the main thread only (the disk edge creates outputs there).
#include "cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "tfjs_quant/disk.h"

namespace tfq::cli {
namespace {

constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;

struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 tree, 2 empty folder, 3 process group
  pid_t pgid = 0;
  char path[kPathMax];
};
Slot g_slots[kSlots];

void Claim(int state, const char* path, pid_t pgid) {
  if (path && std::strlen(path) >= kPathMax) return;
  for (Slot& s : g_slots) {
    if (s.state.load() != 0) continue;
    if (path) std::strcpy(s.path, path);
    s.pgid = pgid;
    s.state.store(state);
    return;
  }
}

void Release(const char* path, pid_t pgid) {
  for (Slot& s : g_slots) {
    const int st = s.state.load();
    if (st == 0) continue;
    if ((st == 3 && s.pgid == pgid && !path) || (st != 3 && path && std::strcmp(s.path, path) == 0)) {
      s.state.store(0);
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
  for (Slot& s : g_slots)
    if (s.state.load() == 3) ::kill(-s.pgid, SIGKILL);
  // Trees first (temporary folders), then the parents made for them,
  // innermost first (claimed outermost first).
  for (Slot& s : g_slots)
    if (s.state.load() == 1) RemoveTree(AT_FDCWD, s.path, 6);
  // Slots are reused, so their order is not the nesting order: a parent
  // that still holds a child is removed on a later pass.
  for (int pass = 0; pass < kSlots; ++pass)
    for (int i = kSlots - 1; i >= 0; --i)
      if (g_slots[i].state.load() == 2) ::rmdir(g_slots[i].path);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

class Tracker : public TempTracker {
 public:
  void Track(const std::filesystem::path& p, Kind kind) override {
    Claim(kind == Kind::kTree ? 1 : 2, std::filesystem::absolute(p).c_str(), 0);
  }
  void Untrack(const std::filesystem::path& p) override { Release(std::filesystem::absolute(p).c_str(), 0); }
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

void TrackTree(const std::filesystem::path& p) { g_tracker.Track(p, TempTracker::Kind::kTree); }
void UntrackTree(const std::filesystem::path& p) { g_tracker.Untrack(p); }
void TrackProcessGroup(pid_t pgid) { Claim(3, nullptr, pgid); }
void UntrackProcessGroup(pid_t pgid) { Release(nullptr, pgid); }

}  // namespace tfq::cli
