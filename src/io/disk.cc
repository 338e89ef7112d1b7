// SPDX-License-Identifier: Apache-2.0
// POSIX file access for the CLI. Reads use pread so one open file serves
// concurrent readers; writes go to a temporary folder renamed at the end.
// Every std::filesystem call here takes an error code: nothing throws.
#include "tfjs_quant/disk.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "tfjs_quant/manifest.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace fs = std::filesystem;

namespace {

std::atomic<TempTracker*> g_tracker{nullptr};

void Track(const fs::path& p, TempTracker::Kind kind) {
  if (TempTracker* t = g_tracker.load()) t->Track(p, kind);
}
void Untrack(const fs::path& p) {
  if (TempTracker* t = g_tracker.load()) t->Untrack(p);
}

std::string Shown(const fs::path& p) { return Printable(p.string(), 300); }
std::string Errno(const fs::path& p) { return Shown(p) + ": " + std::strerror(errno); }

class DiskFile : public RandomAccessFile {
 public:
  DiskFile(int fd, uint64_t size, std::string name) : fd_(fd), size_(size), name_(std::move(name)) {}
  ~DiskFile() override { ::close(fd_); }
  uint64_t Size() const override { return size_; }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    size_t done = 0;
    while (done < dst.size()) {
      ssize_t n = ::pread(fd_, dst.data() + done, dst.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return IOError(name_ + ": " + std::strerror(errno));
      }
      if (n == 0) return IOError(name_ + ": file shrank while being read");
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

 private:
  int fd_;
  uint64_t size_;
  std::string name_;
};

// True if `p` is `root` or below it (both absolute and normalized).
bool IsWithin(const fs::path& p, const fs::path& root) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (r->empty()) continue;  // trailing separator
    if (q == p.end() || *q != *r) return false;
  }
  return true;
}

const char* KindOf(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// A hidden name beside `name` that no other run picks: ".NAME.tfjs-quant-PID-R".
std::string TempName(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  return "." + name + ".tfjs-quant-" + std::to_string(::getpid()) + "-" + std::to_string((rd() % 1000000) * 100 + counter++ % 100);
}

bool ProcessGone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Removes what killed runs left beside `out` (they cannot clean up after
// SIGKILL): ".OUT.tfjs-quant-PID-*" folders of processes that are gone, and
// ".OUT.tfjs-quant-old-PID", an old OUT moved aside by a --force run: put
// back if OUT is missing (the run died between its two renames), else
// removed.
void CleanStaleTemps(const fs::path& parent, const fs::path& out) {
  const std::string prefix = "." + out.filename().string() + ".tfjs-quant-";
  std::error_code ec;
  fs::directory_iterator it(parent, ec), end;
  std::vector<fs::path> stale;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n.rfind(prefix, 0) != 0) continue;
    std::string rest = n.substr(prefix.size());
    const bool old = rest.rfind("old-", 0) == 0;
    if (old) rest = rest.substr(4);
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    std::error_code sec;
    if (!ProcessGone(pid) || !fs::is_directory(fs::symlink_status(it->path(), sec))) continue;
    stale.push_back(it->path());
  }
  for (const auto& p : stale) {
    std::error_code e;
    const bool old = p.filename().string().rfind(prefix + "old-", 0) == 0;
    if (old && !fs::exists(fs::symlink_status(out, e))) {
      fs::rename(p, out, e);
      if (!e) continue;
    }
    fs::remove_all(p, e);
  }
}

}  // namespace

void SetTempTracker(TempTracker* tracker) { g_tracker.store(tracker); }

// ------------------------------------------------------------ DiskSource

Result<std::unique_ptr<DiskSource>> DiskSource::Create(const fs::path& root) {
  std::error_code ec;
  fs::path real = fs::canonical(root, ec);
  if (ec) return IOError("cannot resolve the model's folder " + Shown(root) + ": " + ec.message());
  const int fd = ::open(real.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot open the model's folder " + Errno(root));
  return std::unique_ptr<DiskSource>(new DiskSource(root, std::move(real), fd));
}

DiskSource::~DiskSource() { ::close(root_fd_); }

std::string DiskSource::Describe(std::string_view path) const { return Shown(root_ / std::string(path)); }

namespace {
// openat2 with RESOLVE_BENEATH: the kernel follows links inside the folder
// and refuses (EXDEV) any that leave it, in the same step as the open. -1
// with errno ENOSYS on kernels before 5.6.
int OpenBeneath(int root_fd, const char* rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
}
}  // namespace

Result<std::unique_ptr<RandomAccessFile>> DiskSource::Open(std::string_view rel) {
  // Paths come checked from the manifest; check again: this is a public class.
  TFQ_ASSIGN_OR_RETURN(std::string checked, CheckRelativePath(rel));
  const fs::path p = root_ / checked;
  const std::string shown = Shown(p);
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
  // below).
  int fd = OpenBeneath(root_fd_, checked.c_str());
  if (fd < 0 && errno == ENOENT) return NotFound(shown + ": no such file");
  if (fd < 0 && errno != ENOSYS && errno != EXDEV && errno != ELOOP) return IOError(Errno(p));
  if (fd < 0) {
    // Links that leave the folder (EXDEV), or no openat2: resolve by hand,
    // to refuse with where the link goes, or to open what stays inside.
    std::error_code ec;
    const fs::path real = fs::canonical(p, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) return NotFound(shown + ": no such file");
      return IOError(shown + ": " + ec.message());
    }
    if (!IsWithin(real, real_root_)) {
      return UnsafePath(shown + " is a link to " + Shown(real) + ", outside the model's folder " + Shown(real_root_));
    }
    fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
    if (fd < 0) return IOError(Errno(p));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = IOError(Errno(p));
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return UnsafePath(shown + " is " + KindOf(st.st_mode) + ", not a regular file");
  }
  return std::unique_ptr<RandomAccessFile>(new DiskFile(fd, static_cast<uint64_t>(st.st_size), shown));
}

// ---------------------------------------------------------- LocateModel

Result<ModelLocation> LocateModel(const fs::path& in) {
  if (in.empty()) return InvalidArgument("the model path is empty");
  std::error_code ec;
  const auto st = fs::status(in, ec);
  if (!fs::exists(st)) return NotFound(Shown(in) + ": no such file or folder");
  if (fs::is_regular_file(st)) {
    fs::path folder = in.parent_path();
    if (folder.empty()) folder = ".";
    return ModelLocation{folder, in.filename().string(), false};
  }
  if (!fs::is_directory(st)) return UnsafePath(Shown(in) + " is neither a regular file nor a folder");
  const auto mj = fs::status(in / "model.json", ec);
  if (fs::exists(mj)) {
    if (!fs::is_regular_file(mj)) return UnsafePath(Shown(in / "model.json") + " is not a regular file");
    return ModelLocation{in, "model.json", true};
  }
  std::vector<std::string> jsons;
  fs::directory_iterator it(in, ec), end;
  if (ec) return IOError(Shown(in) + ": " + ec.message());
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code fe;
    if (it->path().extension() == ".json" && it->is_regular_file(fe)) jsons.push_back(it->path().filename().string());
  }
  if (ec) return IOError(Shown(in) + ": " + ec.message());
  std::sort(jsons.begin(), jsons.end());
  if (jsons.size() == 1) return ModelLocation{in, jsons[0], true};
  std::vector<std::string> manifests;
  for (const auto& j : jsons)
    if (j.size() >= 21 && j.compare(j.size() - 21, 21, "weights_manifest.json") == 0) manifests.push_back(j);
  if (manifests.size() == 1) return ModelLocation{in, manifests[0], true};
  if (jsons.empty()) return NotFound(Shown(in) + ": no model.json or other .json file in this folder");
  std::string list;
  for (size_t i = 0; i < jsons.size() && i < 6; ++i) list += (i ? ", " : "") + Printable(jsons[i], 80);
  if (jsons.size() > 6) list += " and " + std::to_string(jsons.size() - 6) + " more";
  return InvalidArgument(Shown(in) + ": no model.json and several .json files (" + list +
                         "); name the model's JSON file instead of the folder");
}

// ----------------------------------------------------------- OutputDir

Result<std::unique_ptr<OutputDir>> OutputDir::Create(const fs::path& out, const InputPaths& inputs, bool force) {
  if (out.empty()) return InvalidArgument("the output folder's name is empty");
  std::error_code ec;
  fs::path abs = fs::absolute(out, ec).lexically_normal();
  if (ec) return IOError("cannot resolve " + Shown(out) + ": " + ec.message());
  // "out/" names the folder "out": drop the empty last component.
  if (!abs.has_filename() && abs.has_parent_path() && abs != abs.root_path()) abs = abs.parent_path();
  if (!abs.has_filename() || abs.filename() == "." || abs.filename() == "..") {
    return InvalidArgument(Shown(out) + " does not name a folder that can be created");
  }
  // The parent's real location, but OUT itself as named: a link at OUT is
  // refused, not followed.
  const fs::path parent = fs::weakly_canonical(abs.parent_path(), ec);
  if (ec) return IOError("cannot resolve " + Shown(abs.parent_path()) + ": " + ec.message());
  const fs::path out_real = parent / abs.filename();
  const auto st = fs::symlink_status(out_real, ec);
  if (fs::is_symlink(st)) {
    return AlreadyExists("output " + Shown(out) + " is a symbolic link; name the folder itself (tfjs-quant does not "
                         "write through links)");
  }
  const fs::path in_abs = fs::weakly_canonical(fs::absolute(inputs.folder, ec), ec);
  if (out_real == in_abs || (inputs.folder_is_input && IsWithin(out_real, in_abs))) {
    return AlreadyExists("output " + Shown(out) + " is inside the input folder " + Shown(inputs.folder) +
                         "; choose an output folder elsewhere (tfjs-quant never writes into its input)");
  }
  if (IsWithin(in_abs, out_real)) {
    return AlreadyExists("output " + Shown(out) + " contains the input folder " + Shown(inputs.folder) +
                         "; choose another output folder");
  }
  for (const auto& f : inputs.files) {
    std::error_code fe;
    const fs::path f_abs = fs::weakly_canonical(fs::absolute(f, fe), fe);
    if (IsWithin(f_abs, out_real)) {
      return AlreadyExists("output " + Shown(out) + " is or contains the input file " + Shown(f) +
                           "; choose another output folder");
    }
  }
  const bool existed = fs::exists(st);
  if (existed) {
    if (!fs::is_directory(st)) return AlreadyExists("output " + Shown(out) + " exists and is not a folder");
    const bool empty = fs::is_empty(out_real, ec);
    if (ec) return IOError(Shown(out) + ": " + ec.message());
    if (!empty && !force) return AlreadyExists("output " + Shown(out) + " exists and is not empty; pass --force to replace it");
  }
  // Like the converter (os.makedirs), create missing parent folders; unlike
  // it, remove them again if the run fails.
  std::vector<fs::path> missing;
  for (fs::path p = parent; !p.empty() && p != p.root_path() && !fs::exists(fs::symlink_status(p, ec)); p = p.parent_path()) {
    missing.push_back(p);
  }
  std::vector<fs::path> created;
  auto undo = [&created] {
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      std::error_code e;
      fs::remove(*it, e);
      Untrack(*it);
    }
  };
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!fs::create_directory(*it, ec) || ec) {
      Status s = IOError("cannot create the output's parent folder " + Shown(*it) + (ec ? ": " + ec.message() : ""));
      undo();
      return s;
    }
    created.push_back(*it);
    Track(*it, TempTracker::Kind::kEmptyFolder);
  }
  CleanStaleTemps(parent, out_real);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path tmp = parent / TempName(out_real.filename().string());
    if (fs::create_directory(tmp, ec) && !ec) {
      Track(tmp, TempTracker::Kind::kTree);
      return std::unique_ptr<OutputDir>(new OutputDir(out_real, tmp, force, existed, std::move(created)));
    }
    if (ec && ec != std::errc::file_exists) {
      Status s = IOError("cannot create a folder in " + Shown(parent) + ": " + ec.message());
      undo();
      return s;
    }
  }
  undo();
  return IOError("cannot create a temporary folder in " + Shown(parent));
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  Untrack(tmp_);
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    fs::remove(*it, ec);  // only if empty
    Untrack(*it);
  }
}

Status OutputDir::WriteFile(std::string_view name, std::span<const uint8_t> data) {
  const fs::path p = tmp_ / std::string(name);
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return IOError(Errno(out_ / std::string(name)));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = IOError(Errno(out_ / std::string(name)));
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return IOError(Errno(out_ / std::string(name)));
  return Status::Ok();
}

Status OutputDir::Rename(std::string_view from, std::string_view to) {
  std::error_code ec;
  fs::rename(tmp_ / std::string(from), tmp_ / std::string(to), ec);
  if (ec) return IOError("rename " + Printable(from) + " -> " + Printable(to) + ": " + ec.message());
  return Status::Ok();
}

// Makes the files durable before they become visible under the final name.
Status OutputDir::SyncAll() {
  std::error_code ec;
  fs::directory_iterator it(tmp_, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IOError(Errno(it->path()));
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return IOError(Errno(it->path()));
  }
  if (ec) return IOError(Shown(tmp_) + ": " + ec.message());
  const int dfd = ::open(tmp_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

namespace {
// rename() that fails with EEXIST instead of replacing anything; where the
// file system cannot do that, a plain rename, which replaces at most an
// empty folder.
int RenameNoReplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  return ::rename(from.c_str(), to.c_str());
}
}  // namespace

// --force over an existing OUT: move it aside, rename, then delete it, so
// OUT is never a mix of old and new files and the old one survives a
// failure.
Status OutputDir::Replace() {
  const fs::path old = out_.parent_path() / ("." + out_.filename().string() + ".tfjs-quant-old-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::rename(out_, old, ec);
  if (ec) return IOError("cannot move the old " + Shown(out_) + " aside: " + ec.message());
  if (RenameNoReplace(tmp_, out_) != 0) {
    Status s = IOError("cannot rename " + Shown(tmp_) + " to " + Shown(out_) + ": " + std::strerror(errno));
    fs::rename(old, out_, ec);
    return s;
  }
  committed_ = true;
  fs::remove_all(old, ec);
  return Status::Ok();
}

Status OutputDir::Commit() {
  if (sync_) TFQ_RETURN_IF_ERROR(SyncAll());
  std::error_code ec;
  if (existed_ && force_ && fs::exists(fs::symlink_status(out_, ec))) return Replace();
  // OUT was missing (or an empty folder) when we started: it must still be
  // so. RENAME_NOREPLACE (or rename over an empty folder) checks that in the
  // same step as the rename.
  const int rc = existed_ ? ::rename(tmp_.c_str(), out_.c_str()) : RenameNoReplace(tmp_, out_);
  if (rc != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY || errno == ENOTDIR || errno == EISDIR) {
      if (force_) return Replace();
      return AlreadyExists("output " + Shown(out_) +
                           " was created by something else while tfjs-quant was writing (another run?); it was left "
                           "as it is and nothing was written; pass --force to replace it");
    }
    return IOError("cannot rename " + Shown(tmp_) + " to " + Shown(out_) + ": " + std::strerror(errno));
  }
  committed_ = true;
  return Status::Ok();
}

// ------------------------------------------------------ whole-file writes

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, const InputPaths& inputs) {
  if (path.empty() || !path.has_filename()) return InvalidArgument("the file name " + Shown(path) + " names no file");
  std::error_code ec;
  if (fs::is_directory(fs::status(path, ec))) return AlreadyExists(Shown(path) + " is a folder");
  for (const auto& f : inputs.files) {
    std::error_code fe;
    if (fs::equivalent(path, f, fe)) {
      return AlreadyExists(Shown(path) + " is the input file " + Shown(f) + "; tfjs-quant never writes over its input");
    }
  }
  fs::path parent = path.parent_path();
  if (parent.empty()) parent = ".";
  const fs::path tmp = parent / TempName(path.filename().string());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return IOError("cannot write " + Errno(path));
  Track(tmp, TempTracker::Kind::kTree);
  auto fail = [&](int err) {
    ::unlink(tmp.c_str());
    Untrack(tmp);
    return IOError("cannot write " + Shown(path) + ": " + std::strerror(err));
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(err);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return fail(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errno);
  Untrack(tmp);
  return Status::Ok();
}

}  // namespace tfq
