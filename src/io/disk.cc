// SPDX-License-Identifier: Apache-2.0
// POSIX file access for the CLI. Reads use pread so one open file serves
// concurrent readers; writes go to a temporary folder renamed at the end.
// Every std::filesystem call here takes an error code: nothing throws.
#include "tfjs_quant/disk.h"

#include <dirent.h>
#include <fcntl.h>
#ifndef __EMSCRIPTEN__
#include <linux/openat2.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

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
// errno is read before anything else in the message is built.
std::string Errno(const fs::path& p, int e = errno) { return Shown(p) + ": " + std::strerror(e); }

// write() until all of `data` is out; an error names `shown`.
Status WriteAll(int fd, std::span<const uint8_t> data, const fs::path& shown) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError(Errno(shown));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

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

// The hidden names beside OUT (or an HTML file) start ".NAME.tfjs-quant-".
// A NAME over 200 bytes is cut and followed by a hash of the whole, so that
// the name stays within the 255 bytes a file system allows and two long
// names that share a start still differ.
std::string TempPrefix(const std::string& name) {
  if (name.size() <= 200) return "." + name + ".tfjs-quant-";
  uint64_t h = 14695981039346656037ull;  // FNV-1a offset basis
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return "." + name.substr(0, 180) + "~" + hex + ".tfjs-quant-";
}

#ifdef __EMSCRIPTEN__
// On Node (the npx CLI) emscripten's getpid is always 42, its geteuid 0,
// and its kill knows no other process: js/scripts/node_process.js asks Node.
extern "C" int tfq_process_id();
extern "C" int tfq_process_gone(long pid);
extern "C" unsigned tfq_user_id();
long ProcessId() { return tfq_process_id(); }
uid_t UserId() { return tfq_user_id(); }
bool ProcessGone(long pid) { return pid > 0 && tfq_process_gone(pid) != 0; }
#else
long ProcessId() { return ::getpid(); }
uid_t UserId() { return ::geteuid(); }
bool ProcessGone(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }
#endif

// A hidden name beside `name` that no other run picks: PID, then a counter
// (a clash with a leftover is retried by the caller).
std::string TempName(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  return TempPrefix(name) + std::to_string(ProcessId()) + "-" + std::to_string(counter++);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// What a run that no longer exists left in a folder: its name is exactly
// `prefix` + PID + "-" + N (a temporary folder or file), or `prefix` +
// "old-" + PID (an old OUT a --force run moved aside); it belongs to this
// user; and PID is gone.
struct Leftover {
  fs::path path;
  bool old = false;
};
std::vector<Leftover> FindLeftovers(const fs::path& folder, std::string_view prefix) {
  std::vector<Leftover> found;
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n.size() <= prefix.size() || n.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view rest = std::string_view(n).substr(prefix.size());
    Leftover l{it->path(), rest.rfind("old-", 0) == 0};
    std::string_view pid;
    if (l.old) {
      pid = rest.substr(4);
      if (!AllDigits(pid)) continue;
    } else {
      const size_t dash = rest.find('-');
      if (dash == std::string_view::npos || !AllDigits(rest.substr(0, dash)) || !AllDigits(rest.substr(dash + 1))) continue;
      pid = rest.substr(0, dash);
    }
    struct stat st;
    if (::lstat(l.path.c_str(), &st) != 0 || st.st_uid != UserId()) continue;
    if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && !l.old)) continue;
    if (!ProcessGone(std::strtol(std::string(pid).c_str(), nullptr, 10))) continue;
    found.push_back(std::move(l));
  }
  return found;
}

// Removes `name` in `dirfd`, a file or a folder tree at most `depth` deep,
// by file descriptors and O_NOFOLLOW: a folder swapped for a link while
// this runs is never followed (std::filesystem::remove_all walks by path).
void RemoveAt(int dirfd, const char* name, int depth) {
  if (::unlinkat(dirfd, name, 0) == 0 || depth <= 0) return;
  const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  for (const auto& n : names) RemoveAt(::dirfd(d), n.c_str(), depth - 1);
  ::closedir(d);
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}

void RemoveLeftover(const fs::path& p) {
  const int parent = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0) return;
  RemoveAt(parent, p.filename().c_str(), 8);
  ::close(parent);
}

// A --force run moves the old OUT aside, renames the new one in, then
// deletes the old. If it died between the renames, OUT is missing and the
// old one is put back; if it died while deleting, the rest is removed.
void RestoreOldOut(const fs::path& parent, const fs::path& out) {
  for (const Leftover& l : FindLeftovers(parent, TempPrefix(out.filename().string()))) {
    if (!l.old) continue;
    std::error_code e;
    if (!fs::exists(fs::symlink_status(out, e))) {
      fs::rename(l.path, out, e);
      if (!e) continue;
    }
    RemoveLeftover(l.path);
  }
}

}  // namespace

void SetTempTracker(TempTracker* tracker) { g_tracker.store(tracker); }

void RemoveLeftoversOfDeadRuns(const fs::path& folder, std::string_view prefix) {
  for (const Leftover& l : FindLeftovers(folder, prefix))
    if (!l.old) RemoveLeftover(l.path);
}

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
#ifdef __EMSCRIPTEN__
  // Node's file system (the npx CLI) has no openat2: resolved by hand below.
  (void)root_fd, (void)rel;
  errno = ENOSYS;
  return -1;
#else
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
#endif
}
}  // namespace

namespace {
// open(2) for reading, never waiting: O_NONBLOCK makes opening a FIFO
// return at once (the caller's fstat then refuses it). Under Node (the npx
// CLI) emscripten's file system drops O_NONBLOCK, so there what is not a
// regular file is refused before it is opened (a FIFO swapped in between
// would still block). Errors name `shown`.
Result<int> OpenForReading(const fs::path& p, const std::string& shown, int extra_flags = 0) {
#ifdef __EMSCRIPTEN__
  struct stat before;
  if (::stat(p.c_str(), &before) == 0 && !S_ISREG(before.st_mode)) {
    return UnsafePath(shown + " is " + KindOf(before.st_mode) + ", not a regular file");
  }
#endif
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | extra_flags);
  if (fd >= 0) return fd;
  const int e = errno;
  if (e == ENOENT || e == ENOTDIR) return NotFound(shown + ": no such file");
  return IOError(shown + ": " + std::strerror(e));
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
  const int open_errno = errno;
  if (fd < 0 && (open_errno == ENOENT || open_errno == ENOTDIR)) return NotFound(shown + ": no such file");
  if (fd < 0 && open_errno == ENAMETOOLONG) return UnsafePath(shown + ": the path is too long");
  if (fd < 0 && open_errno != ENOSYS && open_errno != EXDEV && open_errno != ELOOP) return IOError(Errno(p, open_errno));
  if (fd < 0) {
    // Links that leave the folder (EXDEV), or no openat2: resolve by hand,
    // to refuse with where the link goes, or to open what stays inside.
    std::error_code ec;
    const fs::path real = fs::canonical(p, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
        return NotFound(shown + ": no such file");
      }
      if (ec == std::errc::too_many_symbolic_link_levels || ec == std::errc::filename_too_long) {
        return UnsafePath(shown + ": " + ec.message());
      }
      return IOError(shown + ": " + ec.message());
    }
    if (!IsWithin(real, real_root_)) {
      return UnsafePath(shown + " is a link to " + Shown(real) + ", outside the model's folder " + Shown(real_root_));
    }
    TFQ_ASSIGN_OR_RETURN(fd, OpenForReading(real, shown, O_NOFOLLOW));
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
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
    return IOError(Shown(in) + ": " + ec.message());
  }
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
  TFQ_ASSIGN_OR_RETURN(std::string name, ChooseModelJson(jsons, Shown(in)));
  return ModelLocation{in, std::move(name), true};
}

Status CheckRegularFile(const fs::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) return NotFound(Shown(file) + ": no such file");
    return IOError(Errno(file, e));
  }
  if (!S_ISREG(st.st_mode)) return UnsafePath(Shown(file) + " is " + KindOf(st.st_mode) + ", not a regular file");
  return Status::Ok();
}

Result<std::string> ReadModelJson(const fs::path& file, uint64_t max_bytes, std::string_view limit_name) {
  TFQ_ASSIGN_OR_RETURN(const int fd, OpenForReading(file, Shown(file)));
  struct stat st;
  Status s;
  if (::fstat(fd, &st) != 0) s = IOError(Errno(file));
  else if (!S_ISREG(st.st_mode)) s = UnsafePath(Shown(file) + " is " + KindOf(st.st_mode) + ", not a regular file");
  else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    s = LimitExceeded(Shown(file) + ": " + Bytes(static_cast<uint64_t>(st.st_size)) + " exceed " +
                      LimitText(limit_name, max_bytes), limit_name);
  }
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  DiskFile f(fd, static_cast<uint64_t>(st.st_size), Shown(file));
  std::string text(static_cast<size_t>(st.st_size), '\0');
  TFQ_RETURN_IF_ERROR(f.ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  return text;
}

// ----------------------------------------------------------- OutputDir

namespace {

// OUT as named, absolute and normalized, with its parent's real location:
// a link at OUT itself is refused, never followed.
Result<fs::path> ResolveOut(const fs::path& out) {
  if (out.empty()) return InvalidArgument("the output folder's name is empty");
  std::error_code ec;
  fs::path abs = fs::absolute(out, ec).lexically_normal();
  if (ec) return IOError("cannot resolve " + Shown(out) + ": " + ec.message());
  // "out/" names the folder "out": drop the empty last component.
  if (!abs.has_filename() && abs.has_parent_path() && abs != abs.root_path()) abs = abs.parent_path();
  if (!abs.has_filename() || abs.filename() == "." || abs.filename() == "..") {
    return InvalidArgument(Shown(out) + " does not name a folder that can be created");
  }
  const fs::path parent = fs::weakly_canonical(abs.parent_path(), ec);
  if (ec) return IOError("cannot resolve " + Shown(abs.parent_path()) + ": " + ec.message());
  return parent / abs.filename();
}

// Refuses an OUT that is or holds the input, or is a link.
Status CheckOutAgainstInput(const fs::path& out, const fs::path& out_real, const InputPaths& inputs) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(out_real, ec))) {
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
  return Status::Ok();
}

// Creates the missing folders above OUT, outermost first, like the
// converter's os.makedirs; returns those it made (a folder another run made
// meanwhile is not ours to remove).
Result<std::vector<fs::path>> MakeParents(const fs::path& parent) {
  std::error_code ec;
  std::vector<fs::path> missing, created;
  for (fs::path p = parent; !p.empty() && p != p.root_path() && !fs::exists(fs::symlink_status(p, ec)); p = p.parent_path()) {
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const bool made = fs::create_directory(*it, ec);
    if (ec || (!made && !fs::is_directory(*it, ec))) {
      Status s = IOError("cannot create the output's parent folder " + Shown(*it) + (ec ? ": " + ec.message() : ""));
      for (auto c = created.rbegin(); c != created.rend(); ++c) {
        fs::remove(*c, ec);
        Untrack(*c);
      }
      return s;
    }
    if (made) {
      created.push_back(*it);
      Track(*it, TempTracker::Kind::kRemoveIfEmpty);
    }
  }
  return created;
}

}  // namespace

Result<std::unique_ptr<OutputDir>> OutputDir::Create(const fs::path& out, const InputPaths& inputs, bool force,
                                                     std::string_view replace_hint) {
  TFQ_ASSIGN_OR_RETURN(const fs::path out_real, ResolveOut(out));
  const fs::path parent = out_real.parent_path();
  // Leftovers of killed runs first: an old OUT put back counts as existing.
  RestoreOldOut(parent, out_real);
  RemoveLeftoversOfDeadRuns(parent, TempPrefix(out_real.filename().string()));
  TFQ_RETURN_IF_ERROR(CheckOutAgainstInput(out, out_real, inputs));
  std::error_code ec;
  const auto st = fs::symlink_status(out_real, ec);
  const bool existed = fs::exists(st);
  if (existed) {
    if (!fs::is_directory(st)) return AlreadyExists("output " + Shown(out) + " exists and is not a folder");
    const bool empty = fs::is_empty(out_real, ec);
    if (ec) return IOError(Shown(out) + ": " + ec.message());
    if (!empty && !force) {
      return AlreadyExists("output " + Shown(out) + " exists and is not empty; " + std::string(replace_hint));
    }
  }
  TFQ_ASSIGN_OR_RETURN(std::vector<fs::path> created, MakeParents(parent));
  // Owns `created` from here: destroyed uncommitted, it removes them.
  std::unique_ptr<OutputDir> dir(new OutputDir(out_real, fs::path(), force, existed, std::move(created)));
  dir->replace_hint_ = std::string(replace_hint);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path tmp = parent / TempName(out_real.filename().string());
    // Tracked before it exists: a signal right after the mkdir finds it (the
    // npx CLI's supervisor hears of it asynchronously). The name holds our
    // PID, so what a clash finds is a dead run's, which is ours to remove.
    Track(tmp, TempTracker::Kind::kRemove);
    if (fs::create_directory(tmp, ec) && !ec) {
      dir->tmp_ = tmp;
      return dir;
    }
    Untrack(tmp);
    if (ec && ec != std::errc::file_exists) return IOError("cannot create a folder in " + Shown(parent) + ": " + ec.message());
  }
  return IOError("cannot create a temporary folder in " + Shown(parent));
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  if (!tmp_.empty()) {
    fs::remove_all(tmp_, ec);
    Untrack(tmp_);
  }
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    fs::remove(*it, ec);  // only if empty
    Untrack(*it);
  }
}

Status OutputDir::WriteFile(std::string_view name, std::span<const uint8_t> data) {
  TFQ_RETURN_IF_ERROR(CheckPlainFileName(name));
  const fs::path p = tmp_ / std::string(name);
  const fs::path shown = out_ / std::string(name);
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  // A second file of one name (a model JSON named like one of its shards)
  // is the same refusal as MemoryFiles gives.
  if (fd < 0 && errno == EEXIST) return AlreadyExists(Quoted(name) + " was already written");
  if (fd < 0) return IOError(Errno(shown));
  Status s = WriteAll(fd, data, shown);
  if (::close(fd) != 0 && s.ok()) s = IOError(Errno(shown));
  return s;
}

Status OutputDir::Rename(std::string_view from, std::string_view to) {
  TFQ_RETURN_IF_ERROR(CheckPlainFileName(from));
  TFQ_RETURN_IF_ERROR(CheckPlainFileName(to));
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
    const int e = errno;
    ::close(fd);
    if (!ok) return IOError(Errno(it->path(), e));
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
#ifdef __EMSCRIPTEN__
  // Node has no renameat2: rename(2) itself refuses a non-empty folder
  // (ENOTEMPTY) and replaces an empty one, as the fallback below.
  return ::rename(from.c_str(), to.c_str());
#else
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  return ::rename(from.c_str(), to.c_str());
#endif
}
}  // namespace

// The temporary folder is OUT now, and the parents made for it stay.
void OutputDir::Committed() {
  committed_ = true;
  Untrack(tmp_);
  for (const auto& p : created_) Untrack(p);
}

// --force over an existing OUT: move it aside, rename, then delete it, so
// OUT is never a mix of old and new files and the old one survives a
// failure.
Status OutputDir::Replace() {
  const fs::path old = out_.parent_path() / (TempPrefix(out_.filename().string()) + "old-" + std::to_string(ProcessId()));
  std::error_code ec;
  fs::rename(out_, old, ec);
  if (ec) return IOError("cannot move the old " + Shown(out_) + " aside: " + ec.message());
  if (RenameNoReplace(tmp_, out_) != 0) {
    const int e = errno;
    fs::rename(old, out_, ec);
    return IOError("cannot rename " + Shown(tmp_) + " to " + Errno(out_, e));
  }
  Committed();
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
  const int e = errno;
  if (rc != 0) {
    if (e == EEXIST || e == ENOTEMPTY || e == ENOTDIR || e == EISDIR) {
      if (force_) return Replace();
      return AlreadyExists("output " + Shown(out_) +
                           " was created by something else while tfjs-quant was writing (another run?); it was left "
                           "as it is and nothing was written; " + replace_hint_);
    }
    return IOError("cannot rename " + Shown(tmp_) + " to " + Errno(out_, e));
  }
  Committed();
  return Status::Ok();
}

// ------------------------------------------------------ whole-file writes

Status WriteFileAtomically(const fs::path& path, const std::function<Status(const ByteWriter&)>& produce,
                           const InputPaths& inputs) {
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
  RemoveLeftoversOfDeadRuns(parent, TempPrefix(path.filename().string()));
  const fs::path tmp = parent / TempName(path.filename().string());
  Track(tmp, TempTracker::Kind::kRemove);  // before it exists, as OutputDir::Create's
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    Status s = IOError("cannot write " + Errno(path));
    Untrack(tmp);
    return s;
  }
  Status s = produce([&](std::span<const uint8_t> piece) { return WriteAll(fd, piece, path); });
  if (::close(fd) != 0 && s.ok()) s = IOError(Errno(path));
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = IOError(Errno(path));
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    Untrack(tmp);
    return s.code() == StatusCode::kIOError ? IOError("cannot write " + s.message()) : s;
  }
  Untrack(tmp);
  return Status::Ok();
}

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, const InputPaths& inputs) {
  return WriteFileAtomically(
      path,
      [&](const ByteWriter& write) {
        return write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      },
      inputs);
}

}  // namespace tfq
