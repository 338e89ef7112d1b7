// SPDX-License-Identifier: Apache-2.0
// The file-system edge: a FileSource over a model folder that refuses links
// leaving it, and an output folder that appears whole or not at all. Not part
// of a WebAssembly build.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tfjs_quant/io.h"

namespace tfq {

// Reads files below `root`; a path whose real location (after following
// symlinks) is outside `root` is refused with kUnsafePath.
class DiskSource : public FileSource {
 public:
  explicit DiskSource(std::filesystem::path root);
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override;
  std::string Describe(std::string_view path) const override;

 private:
  std::filesystem::path root_, real_root_;
};

// Where a model's JSON is: a folder and a file name in it.
struct ModelLocation {
  std::filesystem::path folder;
  std::string json_name;
  bool is_folder = false;  // IN named the folder, not the JSON file
};
// IN may be a folder (holding model.json, or a single *.json model or
// manifest), a model JSON of any name, or a standalone manifest.
Result<ModelLocation> LocateModel(const std::filesystem::path& in);

// An output folder built in a temporary folder beside `out` and renamed to
// `out` by Commit(). Destroyed uncommitted, it removes its temporary folder;
// a killed process leaves only the hidden temporary folder, never `out`.
class OutputDir : public FileSink {
 public:
  // Refuses an `out` that is, or lies inside, a folder input; an `out` that
  // is or contains any input file (so --force can never delete the input);
  // and an existing non-empty `out` unless `force`.
  static Result<std::unique_ptr<OutputDir>> Create(const std::filesystem::path& out,
                                                   const std::filesystem::path& input_folder, bool input_is_folder,
                                                   const std::vector<std::filesystem::path>& input_files, bool force);
  ~OutputDir() override;
  Status WriteFile(std::string_view name, std::span<const uint8_t> data) override;
  Status Rename(std::string_view from, std::string_view to) override;
  // fsync every file (and the folder) in Commit(), before the rename: the
  // output then survives a power loss too. Off by default, as for cp: the
  // rename alone keeps a killed process from leaving a partial OUT.
  void set_sync(bool sync) { sync_ = sync; }
  Status Commit();
  const std::filesystem::path& final_path() const { return out_; }

 private:
  OutputDir(std::filesystem::path out, std::filesystem::path tmp, bool force)
      : out_(std::move(out)), tmp_(std::move(tmp)), force_(force) {}
  std::filesystem::path out_, tmp_;
  bool force_ = false, committed_ = false, sync_ = false;
};

}  // namespace tfq
