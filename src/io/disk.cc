// SPDX-License-Identifier: Apache-2.0
// POSIX file access for the CLI. Reads use pread so one open file serves
// concurrent readers; writes go to a temporary folder renamed at the end.
#include "tfjs_quant/disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

namespace tfq {
namespace fs = std::filesystem;

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

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
        return IOError(Errno(name_));
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

}  // namespace

DiskSource::DiskSource(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  real_root_ = fs::canonical(root_, ec);
  if (ec) real_root_ = fs::absolute(root_).lexically_normal();
}

std::string DiskSource::Describe(std::string_view path) const { return (root_ / std::string(path)).string(); }

Result<std::unique_ptr<RandomAccessFile>> DiskSource::Open(std::string_view rel) {
  TFQ_ASSIGN_OR_RETURN(std::string checked, CheckRelativePath(rel));
  const fs::path p = root_ / checked;
  const std::string shown = p.string();
  std::error_code ec;
  fs::path real = fs::canonical(p, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return NotFound(shown + ": no such file");
    return IOError(shown + ": " + ec.message());
  }
  if (!IsWithin(real, real_root_)) {
    return UnsafePath(shown + " is a link to " + real.string() + ", outside the model's folder " +
                      real_root_.string());
  }
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError(Errno(shown));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return IOError(Errno(shown));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return FormatError(shown + " is not a regular file");
  }
  return std::unique_ptr<RandomAccessFile>(new DiskFile(fd, static_cast<uint64_t>(st.st_size), shown));
}

Result<ModelLocation> LocateModel(const fs::path& in) {
  std::error_code ec;
  auto st = fs::status(in, ec);
  if (ec || !fs::exists(st)) return NotFound(in.string() + ": no such file or folder");
  if (fs::is_regular_file(st)) {
    fs::path folder = in.parent_path();
    if (folder.empty()) folder = ".";
    return ModelLocation{folder, in.filename().string(), false};
  }
  if (!fs::is_directory(st)) return InvalidArgument(in.string() + ": not a file or folder");
  if (fs::is_regular_file(in / "model.json")) return ModelLocation{in, "model.json", true};
  std::vector<std::string> jsons;
  for (const auto& de : fs::directory_iterator(in, ec)) {
    if (de.is_regular_file() && de.path().extension() == ".json") jsons.push_back(de.path().filename().string());
  }
  std::sort(jsons.begin(), jsons.end());
  if (jsons.size() == 1) return ModelLocation{in, jsons[0], true};
  std::vector<std::string> manifests;
  for (const auto& j : jsons)
    if (j.size() >= 21 && j.compare(j.size() - 21, 21, "weights_manifest.json") == 0) manifests.push_back(j);
  if (manifests.size() == 1) return ModelLocation{in, manifests[0], true};
  std::string list;
  for (const auto& j : jsons) list += (list.empty() ? "" : ", ") + j;
  if (jsons.empty()) return NotFound(in.string() + ": no model.json or other .json file in this folder");
  return InvalidArgument(in.string() + ": no model.json and several .json files (" + list +
                         "); name the model's JSON file instead of the folder");
}

Result<std::unique_ptr<OutputDir>> OutputDir::Create(const fs::path& out, const fs::path& input_folder,
                                                     bool input_is_folder, const std::vector<fs::path>& input_files,
                                                     bool force) {
  std::error_code ec;
  fs::path out_abs = fs::weakly_canonical(fs::absolute(out), ec);
  // "out/" names the folder "out": drop the empty last component.
  while (!out_abs.has_filename() && out_abs.has_parent_path() && out_abs != out_abs.root_path()) {
    out_abs = out_abs.parent_path();
  }
  const fs::path in_abs = fs::weakly_canonical(fs::absolute(input_folder), ec);
  if (out_abs == in_abs || (input_is_folder && IsWithin(out_abs, in_abs))) {
    return AlreadyExists("output " + out.string() + " is inside the input folder " + input_folder.string() +
                         "; choose an output folder elsewhere (tfjs-quant never writes into its input)");
  }
  if (IsWithin(in_abs, out_abs)) {
    return AlreadyExists("output " + out.string() + " contains the input folder " + input_folder.string() +
                         "; choose another output folder");
  }
  for (const auto& f : input_files) {
    const fs::path f_abs = fs::weakly_canonical(fs::absolute(f), ec);
    if (IsWithin(f_abs, out_abs)) {
      return AlreadyExists("output " + out.string() + " is or contains the input file " + f.string() +
                           "; choose another output folder");
    }
  }
  auto st = fs::symlink_status(out_abs, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) return AlreadyExists(out.string() + " exists and is not a folder");
    if (!fs::is_empty(out_abs, ec) && !force) {
      return AlreadyExists(out.string() + " exists and is not empty; pass --force to replace it");
    }
  }
  fs::path parent = out_abs.parent_path();
  // Like the converter (os.makedirs), create missing parent folders.
  fs::create_directories(parent, ec);
  if (!fs::is_directory(parent)) {
    return IOError("cannot create the output's parent folder " + parent.string() + (ec ? ": " + ec.message() : ""));
  }
  std::random_device rd;
  fs::path tmp = parent / ("." + out_abs.filename().string() + ".tfjs-quant-" + std::to_string(::getpid()) + "-" +
                           std::to_string(rd() % 1000000));
  if (!fs::create_directory(tmp, ec) || ec) return IOError("cannot create " + tmp.string() + ": " + ec.message());
  return std::unique_ptr<OutputDir>(new OutputDir(out_abs, tmp, force));
}

OutputDir::~OutputDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
}

Status OutputDir::WriteFile(std::string_view name, std::span<const uint8_t> data) {
  const fs::path p = tmp_ / std::string(name);
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IOError(Errno(p.string()));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = IOError(Errno(p.string()));
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return IOError(Errno(p.string()));
  return Status::Ok();
}

Status OutputDir::Rename(std::string_view from, std::string_view to) {
  std::error_code ec;
  fs::rename(tmp_ / std::string(from), tmp_ / std::string(to), ec);
  if (ec) return IOError("rename " + std::string(from) + " -> " + std::string(to) + ": " + ec.message());
  return Status::Ok();
}

Status OutputDir::Commit() {
  std::error_code ec;
  if (sync_) {
    // Make the files durable before they become visible under the final name.
    for (const auto& de : fs::directory_iterator(tmp_, ec)) {
      int fd = ::open(de.path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return IOError(Errno(de.path().string()));
      const bool ok = ::fsync(fd) == 0;
      ::close(fd);
      if (!ok) return IOError(Errno(de.path().string()));
    }
    int dfd = ::open(tmp_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  fs::path old;
  if (fs::exists(fs::symlink_status(out_, ec))) {
    // An empty folder, or a non-empty one with --force: move it aside first
    // so that `out` is never a mix of old and new files.
    old = out_.parent_path() / ("." + out_.filename().string() + ".tfjs-quant-old-" + std::to_string(::getpid()));
    fs::rename(out_, old, ec);
    if (ec) return IOError("cannot move the old " + out_.string() + " aside: " + ec.message());
  }
  fs::rename(tmp_, out_, ec);
  if (ec) {
    std::error_code ec2;
    if (!old.empty()) fs::rename(old, out_, ec2);
    return IOError("cannot rename " + tmp_.string() + " to " + out_.string() + ": " + ec.message());
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
  return Status::Ok();
}

}  // namespace tfq
