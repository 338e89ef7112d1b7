// SPDX-License-Identifier: Apache-2.0
// What the pack reader tests share: reading a file whole, a private
// temporary folder, the folders of fixtures the tests/pack/make_*.py
// scripts write (and a test fixture over one), and the checks of what a
// reader lists: against a script's expected.json, and of a hostile or
// damaged file.
//
// ctest runs every test in a process of its own, so a folder written per
// process would run its script (make_torch.py: a Python start and a torch
// import) once per test. WriterFixtures() writes each script's folder once
// per build, under PACK_FIXTURE_DIR (tests/CMakeLists.txt), and every later
// process reuses it; it is written again when the script changes. The
// folder is shared: a test that damages a file works on a copy in its own
// ScratchDir.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tfjs_quant/disk.h"
#include "tfjs_quant/pack.h"
#include "tfjs_quant/status.h"

#ifndef PACK_FIXTURE_DIR
#error "PACK_FIXTURE_DIR names the build's folder of pack fixtures (tests/CMakeLists.txt, tfq_pack_test)"
#endif
#ifndef TFJS_QUANT_SOURCE_DIR
#error "TFJS_QUANT_SOURCE_DIR names the source tree (tests/CMakeLists.txt, tfq_pack_test)"
#endif

namespace tfq::pack_test {

namespace fixtures_detail {
namespace fs = std::filesystem;

// The file a folder holds once its script has written everything.
inline constexpr const char* kStamp = ".stamp";

// A new empty folder named `prefix` and six random characters.
inline fs::path MakeTemp(const std::string& prefix) {
  std::string tmpl = prefix + "XXXXXX";
  if (!mkdtemp(tmpl.data())) return {};
  return tmpl;
}

inline void RemoveAll(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

// Whether `dir` holds what `script` writes: its stamp is there and not
// older than the script.
inline bool Fresh(const fs::path& dir, const fs::path& script) {
  std::error_code ec;
  const auto stamp = fs::last_write_time(dir / kStamp, ec);
  if (ec) return false;
  const auto written = fs::last_write_time(script, ec);
  return !ec && written <= stamp;
}

inline std::string DescribeExit(int status) {
  if (status == -1) return std::string("could not be started: ") + std::strerror(errno);
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// Writes `script`'s folder `dir` unless it is fresh; the empty string when
// `dir` is ready, else what went wrong.
inline std::string Generate(const fs::path& script, const fs::path& dir) {
  if (Fresh(dir, script)) return {};
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (ec) return "cannot create " + dir.parent_path().string() + ": " + ec.message();
  // Written beside the folder, then renamed into place: a process that
  // sees the folder sees all of it.
  const std::string hidden = (dir.parent_path() / ("." + dir.filename().string())).string();
  const fs::path fresh = MakeTemp(hidden + ".new-");
  if (fresh.empty()) return "mkdtemp beside " + dir.string() + ": " + std::strerror(errno);
  // Debian's interpreter holds torch, h5py and onnx; a PATH python3 may not.
  const char* python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  // The script writes into `fresh`; the folder it will be read from is its
  // second argument, for the paths a fixture names (make_torch.py's MARKER).
  const std::string cmd = std::string(python) + " '" + script.string() + "' '" + fresh.string() + "' '" +
                          dir.string() + "'";
  const int status = std::system(cmd.c_str());
  if (status != 0) {
    RemoveAll(fresh);
    return cmd + " failed: " + DescribeExit(status);
  }
  std::ofstream(fresh / kStamp) << "written by " << script.string() << "\n";
  // A stale folder is moved aside (onto an empty folder, which rename
  // replaces) and removed; another process may have done it already.
  if (fs::exists(dir)) {
    if (Fresh(dir, script)) {  // another process finished first
      RemoveAll(fresh);
      return {};
    }
    const fs::path old = MakeTemp(hidden + ".old-");
    if (old.empty()) {
      RemoveAll(fresh);
      return "mkdtemp beside " + dir.string() + ": " + std::strerror(errno);
    }
    if (std::rename(dir.c_str(), old.c_str()) != 0 && errno != ENOENT) {
      const std::string why = std::strerror(errno);
      RemoveAll(fresh);
      RemoveAll(old);
      return "cannot move the stale " + dir.string() + " aside: " + why;
    }
    RemoveAll(old);
  }
  if (std::rename(fresh.c_str(), dir.c_str()) != 0) {
    const int err = errno;
    RemoveAll(fresh);
    // Another process renamed its folder into place first: use that one.
    if ((err == EEXIST || err == ENOTEMPTY) && Fresh(dir, script)) return {};
    return "cannot rename " + fresh.string() + " to " + dir.string() + ": " + std::strerror(err);
  }
  return {};
}
}  // namespace fixtures_detail

// The bytes of the file at `path` (empty when it cannot be read).
inline std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The folder holding what tests/pack/`script` (e.g. "make_torch.py")
// writes: PACK_FIXTURE_DIR/make_torch. It is written when missing or older
// than the script, safely while other processes do the same, and then
// reused, by this process and later ones. When the script fails (a missing
// Python module, an error in it), each call adds a test failure naming the
// command and its exit status and returns an empty path: callers
// ASSERT_FALSE(dir.empty()).
inline std::filesystem::path WriterFixtures(const std::string& script) {
  namespace fs = std::filesystem;
  static std::mutex mu;
  static std::map<std::string, std::string> errors;  // by script, once tried in this process
  const std::lock_guard<std::mutex> lock(mu);
  const fs::path source = fs::path(TFJS_QUANT_SOURCE_DIR) / "tests/pack" / script;
  const fs::path dir = fs::path(PACK_FIXTURE_DIR) / source.stem();
  auto tried = errors.find(script);
  if (tried == errors.end()) tried = errors.emplace(script, fixtures_detail::Generate(source, dir)).first;
  if (!tried->second.empty()) {
    ADD_FAILURE() << "the fixtures of " << script << " could not be written: " << tried->second;
    return {};
  }
  return dir;
}

// A new folder under /tmp, removed with what it holds when this goes.
class ScratchDir {
 public:
  ScratchDir() : path_(fixtures_detail::MakeTemp("/tmp/tfq-pack-test-")) {
    if (path_.empty()) ADD_FAILURE() << "mkdtemp in /tmp: " << std::strerror(errno);
  }
  ~ScratchDir() {
    if (!path_.empty()) fixtures_detail::RemoveAll(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A test over the folder a make_*.py script writes: dir_, and source_, a
// DiskSource on it.
class WriterTest : public ::testing::Test {
 protected:
  explicit WriterTest(std::string script) : script_(std::move(script)) {}

  void SetUp() override {
    dir_ = WriterFixtures(script_);
    ASSERT_FALSE(dir_.empty()) << script_ << " failed";
    auto s = DiskSource::Create(dir_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    source_ = std::move(s).value();
  }

  std::filesystem::path dir_;
  std::unique_ptr<DiskSource> source_;

 private:
  std::string script_;
};

// Bytes [offset, offset + size) of `t`. The read's Status goes to *st, or
// with no `st` must be OK.
inline std::string ReadBytes(const SourceTensor& t, uint64_t offset, uint64_t size, Status* st = nullptr) {
  std::string out(size, '\0');
  Status s = t.bytes->ReadAt(offset, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (st) {
    *st = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.message();
  }
  return out;
}

// A tensor as a make_*.py script lists it in its expected.json.
struct ExpectedTensor {
  std::string source;  // the file it is read from, where the script says ("" elsewhere)
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;  // its .raw file
};

// The entries of `folder`/expected.json, in order.
inline std::vector<ExpectedTensor> LoadExpected(const std::filesystem::path& folder) {
  std::vector<ExpectedTensor> out;
  for (const auto& e : nlohmann::json::parse(Slurp(folder / "expected.json"))) {
    out.push_back({e.value("source", std::string()), e["name"].get<std::string>(), e["dtype"].get<std::string>(),
                   e["shape"].get<std::vector<int64_t>>(), Slurp(folder / e["file"].get<std::string>())});
  }
  return out;
}

// `t` is `want`: name, dtype, shape, and bytes read whole, then one byte at
// offset 1 and all from offset 3 to the end (a reader that reads a whole
// tensor for a part, as libhdf5 does, keeps it between the two).
inline void ExpectTensor(const SourceTensor& t, const ExpectedTensor& want) {
  SCOPED_TRACE(t.name + " (" + t.origin + ")");
  EXPECT_EQ(t.name, want.name);
  EXPECT_EQ(SourceDTypeName(t.dtype), want.dtype);
  EXPECT_EQ(t.shape, want.shape);
  ASSERT_EQ(t.byte_size(), want.bytes.size());
  ASSERT_NE(t.bytes, nullptr);
  EXPECT_EQ(ReadBytes(t, 0, want.bytes.size()), want.bytes);
  if (want.bytes.size() >= 4) {
    EXPECT_EQ(ReadBytes(t, 1, 1), want.bytes.substr(1, 1));
    EXPECT_EQ(ReadBytes(t, 3, want.bytes.size() - 3), want.bytes.substr(3));
  }
}

// ExpectTensor over `got` and `want`, which must be as many.
inline void ExpectTensors(const std::vector<SourceTensor>& got, const std::vector<ExpectedTensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ExpectTensor(got[i], want[i]);
}

// A hostile file refused: `st` has `code` and a message holding `phrase`,
// and no tensor was listed.
inline void ExpectRefused(const Status& st, const std::vector<SourceTensor>& out, StatusCode code,
                          std::string_view phrase) {
  EXPECT_EQ(st.code(), code) << st.message();
  EXPECT_NE(st.message().find(phrase), std::string::npos) << st.message();
  EXPECT_TRUE(out.empty());
}

// A damaged file either fails with a Status that is not kInternal, or lists
// tensors that read whole.
inline void ExpectFailsCleanlyOrReads(const Status& st, const std::vector<SourceTensor>& out) {
  if (!st.ok()) {
    EXPECT_NE(st.code(), StatusCode::kInternal) << st.message();
    return;
  }
  for (const SourceTensor& t : out) ReadBytes(t, 0, t.byte_size());
}

}  // namespace tfq::pack_test
