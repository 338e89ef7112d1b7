// SPDX-License-Identifier: Apache-2.0
// The disk edge on its own: DiskSource refuses what is not a plain file
// without blocking (a FIFO) and links that leave the folder; OutputDir
// refuses links, cleans up after itself and after killed runs, and never
// replaces what appeared at OUT while it was writing; WriteFileAtomically
// never writes over an input or leaves its temporary file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <set>

#include "cli_util.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/threads.h"

namespace tfq {
namespace {

namespace fs = std::filesystem;
using cli_util::HiddenTempsBeside;
using cli_util::ReadFile;
using cli_util::TempDir;
using cli_util::WriteFile;

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(DiskSource, OnlyPlainFilesInsideTheFolder) {
  TempDir tmp;
  WriteFile(tmp / "m/w.bin", "abcd");
  WriteFile(tmp / "secret.bin", "s");
  ASSERT_EQ(::mkfifo((tmp / "m/fifo.bin").c_str(), 0644), 0);
  fs::create_symlink(tmp / "secret.bin", tmp / "m/out.bin");
  fs::create_symlink("/dev/zero", tmp / "m/zero.bin");
  fs::create_directory(tmp / "m/dir.bin");
  auto src = DiskSource::Create(tmp / "m");
  ASSERT_TRUE(src.ok());
  auto w = (*src)->Open("w.bin");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Size(), 4u);
  // A FIFO would block open() until a writer came; it is refused at once.
  auto fifo = (*src)->Open("fifo.bin");
  EXPECT_EQ(fifo.status().code(), StatusCode::kUnsafePath);
  EXPECT_NE(fifo.status().message().find("is a FIFO, not a regular file"), std::string::npos) << fifo.status().message();
  EXPECT_EQ((*src)->Open("out.bin").status().code(), StatusCode::kUnsafePath);
  EXPECT_EQ((*src)->Open("zero.bin").status().code(), StatusCode::kUnsafePath);
  EXPECT_EQ((*src)->Open("dir.bin").status().code(), StatusCode::kUnsafePath);
  EXPECT_EQ((*src)->Open("none.bin").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*src)->Open("../secret.bin").status().code(), StatusCode::kUnsafePath);
  EXPECT_FALSE(DiskSource::Create(tmp / "missing").ok());
}

TEST(OutputDir, ALinkAtOutIsRefusedNotFollowed) {
  TempDir tmp;
  WriteFile(tmp / "target/keep.txt", "mine");
  fs::create_symlink(tmp / "target", tmp / "out");
  auto d = OutputDir::Create(tmp / "out", InputPaths{}, /*force=*/true);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(d.status().message().find("is a symbolic link"), std::string::npos) << d.status().message();
  EXPECT_EQ(ReadFile(tmp / "target/keep.txt"), "mine");
}

TEST(OutputDir, EmptyOrRootOutIsRefused) {
  EXPECT_EQ(OutputDir::Create("", InputPaths{}, false).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OutputDir::Create("/", InputPaths{}, true).status().code(), StatusCode::kInvalidArgument);
}

TEST(OutputDir, FailedRunRemovesTheParentsItCreated) {
  TempDir tmp;
  {
    auto d = OutputDir::Create(tmp / "a/b/c/out", InputPaths{}, false);
    ASSERT_TRUE(d.ok()) << d.status().message();
    ASSERT_TRUE((*d)->WriteFile("x.bin", Bytes("x")).ok());
    EXPECT_TRUE(fs::exists(tmp / "a/b/c"));
  }  // destroyed without Commit: the run failed
  EXPECT_FALSE(fs::exists(tmp / "a"));
  {
    auto d = OutputDir::Create(tmp / "a/b/out", InputPaths{}, false);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE((*d)->Commit().ok());
  }
  EXPECT_TRUE(fs::is_directory(tmp / "a/b/out"));
}

TEST(OutputDir, WhatAppearsAtOutWhileWritingIsKept) {
  TempDir tmp;
  auto d = OutputDir::Create(tmp / "out", InputPaths{}, false);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->WriteFile("model.json", Bytes("{}")).ok());
  WriteFile(tmp / "out/theirs.txt", "someone else's");  // another run, or the user
  Status s = (*d)->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("was created by something else while tfjs-quant was writing"), std::string::npos)
      << s.message();
  d->reset();
  EXPECT_EQ(ReadFile(tmp / "out/theirs.txt"), "someone else's");
  EXPECT_FALSE(fs::exists(tmp / "out/model.json"));
  EXPECT_EQ(HiddenTempsBeside(tmp / "out"), std::vector<std::string>{});
}

TEST(OutputDir, ForceReplacesWholeAndTheOldSurvivesAFailure) {
  TempDir tmp;
  WriteFile(tmp / "out/old.txt", "old");
  {
    auto d = OutputDir::Create(tmp / "out", InputPaths{}, true);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE((*d)->WriteFile("new.txt", Bytes("new")).ok());
  }  // failed: the old OUT is untouched
  EXPECT_EQ(ReadFile(tmp / "out/old.txt"), "old");
  auto d = OutputDir::Create(tmp / "out", InputPaths{}, true);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->WriteFile("new.txt", Bytes("new")).ok());
  ASSERT_TRUE((*d)->Commit().ok());
  EXPECT_FALSE(fs::exists(tmp / "out/old.txt"));
  EXPECT_EQ(ReadFile(tmp / "out/new.txt"), "new");
  EXPECT_EQ(HiddenTempsBeside(tmp / "out"), std::vector<std::string>{});
}

// A process that dies without cleaning up, leaving its temporary folder.
pid_t DeadPid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int st;
  ::waitpid(pid, &st, 0);
  return pid;
}

TEST(OutputDir, TheNextRunRemovesWhatAKilledRunLeft) {
  TempDir tmp;
  const pid_t dead = DeadPid();
  WriteFile(tmp / (".out.tfjs-quant-" + std::to_string(dead) + "-7/group1-shard1.part"), "x");
  // Our own live temporary folder is left alone.
  WriteFile(tmp / (".out.tfjs-quant-" + std::to_string(::getpid()) + "-9/x"), "x");
  // A --force run killed between its renames: the old OUT is put back.
  WriteFile(tmp / (".out.tfjs-quant-old-" + std::to_string(dead) + "/old.txt"), "old");
  auto d = OutputDir::Create(tmp / "out", InputPaths{}, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(ReadFile(tmp / "out/old.txt"), "old");
  EXPECT_FALSE(fs::exists(tmp / (".out.tfjs-quant-" + std::to_string(dead) + "-7")));
  EXPECT_TRUE(fs::exists(tmp / (".out.tfjs-quant-" + std::to_string(::getpid()) + "-9")));
}

// Only what is exactly tfjs-quant's, and this user's, is removed, and never
// through a link: a shared /tmp cannot turn the cleanup against other files.
TEST(OutputDir, LeftoverCleanupTouchesNothingElse) {
  TempDir tmp;
  const pid_t dead = DeadPid();
  const std::string d = std::to_string(dead);
  WriteFile(tmp / "precious/keep.txt", "keep");
  // A dead run's folder holding a link to somewhere else: the folder goes,
  // what the link points at stays.
  fs::create_directories(tmp / (".out.tfjs-quant-" + d + "-1"));
  fs::create_symlink(tmp / "precious", tmp / (".out.tfjs-quant-" + d + "-1") / "link");
  // Names that only look alike, and a folder of another user's.
  WriteFile(tmp / (".out.tfjs-quant-" + d + ".tfjs-quant-3-0/x"), "x");  // OUT "out.tfjs-quant-<pid>"'s
  WriteFile(tmp / (".out.tfjs-quant-" + d + "-x/x"), "x");
  WriteFile(tmp / (".out.tfjs-quant-" + d + "-2/x"), "x");
  if (::geteuid() == 0) ASSERT_EQ(::chown((tmp / (".out.tfjs-quant-" + d + "-2")).c_str(), 65534, 65534), 0);
  auto out = OutputDir::Create(tmp / "out", InputPaths{}, false);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(fs::exists(tmp / (".out.tfjs-quant-" + d + "-1")));
  EXPECT_EQ(ReadFile(tmp / "precious/keep.txt"), "keep");
  EXPECT_TRUE(fs::exists(tmp / (".out.tfjs-quant-" + d + ".tfjs-quant-3-0/x")));
  EXPECT_TRUE(fs::exists(tmp / (".out.tfjs-quant-" + d + "-x/x")));
  if (::geteuid() == 0) EXPECT_TRUE(fs::exists(tmp / (".out.tfjs-quant-" + d + "-2/x"))) << "another user's folder was removed";
  // A killed --html run's temporary file goes with the next write of the same file.
  WriteFile(tmp / (".r.html.tfjs-quant-" + d + "-0"), "<partial");
  ASSERT_TRUE(WriteFileAtomically(tmp / "r.html", "<html>", InputPaths{}).ok());
  EXPECT_EQ(HiddenTempsBeside(tmp / "r.html"), std::vector<std::string>{});
}

TEST(OutputDir, LongNamesKeepTheirTemporariesApart) {
  TempDir tmp;
  const std::string a = std::string(220, 'a') + "1", b = std::string(220, 'a') + "2";
  auto da = OutputDir::Create(tmp / a, InputPaths{}, false);
  auto db = OutputDir::Create(tmp / b, InputPaths{}, false);
  ASSERT_TRUE(da.ok()) << da.status().message();
  ASSERT_TRUE(db.ok()) << db.status().message();
  ASSERT_TRUE((*da)->WriteFile("x", Bytes("a")).ok());
  ASSERT_TRUE((*db)->WriteFile("x", Bytes("b")).ok());
  ASSERT_TRUE((*da)->Commit().ok());
  ASSERT_TRUE((*db)->Commit().ok());
  EXPECT_EQ(ReadFile(tmp / a / "x"), "a");
  EXPECT_EQ(ReadFile(tmp / b / "x"), "b");
}

TEST(WriteFileAtomically, NeverOverAnInputNorHalfAFile) {
  TempDir tmp;
  WriteFile(tmp / "m/model.json", "{}");
  fs::create_symlink(tmp / "m/model.json", tmp / "link.html");
  InputPaths in;
  in.files = {tmp / "m/model.json"};
  for (const fs::path& p : {tmp / "m/model.json", tmp / "link.html", tmp / "m/./model.json"}) {
    Status s = WriteFileAtomically(p, "<html>", in);
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << p;
    EXPECT_NE(s.message().find("never writes over its input"), std::string::npos) << s.message();
  }
  EXPECT_EQ(ReadFile(tmp / "m/model.json"), "{}");
  EXPECT_EQ(WriteFileAtomically(tmp / "m", "x", in).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(WriteFileAtomically(tmp / "r.html", "<html>", in).ok());
  EXPECT_EQ(ReadFile(tmp / "r.html"), "<html>");
  // A write that fails part way (a file-size limit stands in for a full
  // disk) leaves neither the file nor its temporary.
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{1000, 1000};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    Status s = WriteFileAtomically(tmp / "big.html", std::string(5000, 'x'), in);
    ::_exit(s.code() == StatusCode::kIOError ? 0 : 1);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_FALSE(fs::exists(tmp / "big.html"));
  EXPECT_EQ(HiddenTempsBeside(tmp / "big.html"), std::vector<std::string>{});
}

// Every temporary path the edge reports is reported gone again, committed
// or not: a signal handler's table never fills up over a long run.
class CountingTracker : public TempTracker {
 public:
  void Track(const fs::path& p, Kind) override { live.insert(p.string()); }
  void Untrack(const fs::path& p) override { live.erase(p.string()); }
  std::set<std::string> live;
};

TEST(TempTracker, CommittedAndFailedOutputsAreUntracked) {
  TempDir tmp;
  CountingTracker tracker;
  SetTempTracker(&tracker);
  for (int i = 0; i < 30; ++i) {
    auto d = OutputDir::Create(tmp / ("p" + std::to_string(i)) / "q" / "out", InputPaths{}, false);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(tracker.live.empty());
    if (i % 2 == 0) ASSERT_TRUE((*d)->Commit().ok());
  }
  ASSERT_TRUE(WriteFileAtomically(tmp / "r.html", "x", InputPaths{}).ok());
  SetTempTracker(nullptr);
  EXPECT_EQ(tracker.live, std::set<std::string>{});
}

TEST(ThreadExecutor, RunsEveryTaskOnce) {
  ThreadExecutor ex(4);
  std::vector<std::atomic<int>> seen(37);
  ex.ForEach(seen.size(), [&](size_t i) { ++seen[i]; });
  for (auto& s : seen) EXPECT_EQ(s.load(), 1);
  EXPECT_GE(ThreadExecutor(0).concurrency(), 1);
}

}  // namespace
}  // namespace tfq
