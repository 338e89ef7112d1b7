// SPDX-License-Identifier: Apache-2.0
// The file-system edge (target tfjs_quant::tfjs_quant, not the core): a
// FileSource over a model folder that refuses links leaving it and anything
// that is not a plain file, an output folder that appears whole or not at
// all, and whole files replaced atomically. Nothing here throws (but
// std::bad_alloc): every std::filesystem call takes an error code. Not part
// of a WebAssembly build.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/io.h"

namespace tfq {

// Reads files below `root`. A path whose real location (after symlinks) is
// outside `root` is kUnsafePath; so is a FIFO, device or folder (opening a
// FIFO would wait for a writer forever).
class DiskSource : public FileSource {
 public:
  // Fails if `root`'s real path cannot be found or opened.
  static Result<std::unique_ptr<DiskSource>> Create(const std::filesystem::path& root);
  ~DiskSource() override;
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override;
  std::string Describe(std::string_view path) const override;

 private:
  DiskSource(std::filesystem::path root, std::filesystem::path real_root, int root_fd)
      : root_(std::move(root)), real_root_(std::move(real_root)), root_fd_(root_fd) {}
  std::filesystem::path root_, real_root_;
  int root_fd_;  // the folder, O_PATH: what openat2 resolves beneath
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

// Checks that `file` (a path the user named; links followed) is a regular
// file: kNotFound if there is nothing, kUnsafePath saying what it is (a
// FIFO, a character device, a folder...) otherwise. Nothing is opened.
Status CheckRegularFile(const std::filesystem::path& file);

// Reads the model JSON the user named (through a link too: it is the user's
// choice, not the manifest's), refusing what is not a regular file and
// anything over `max_bytes` (kLimitExceeded naming `limit_name`) before
// reading it.
Result<std::string> ReadModelJson(const std::filesystem::path& file, uint64_t max_bytes, std::string_view limit_name);

// What an output must never touch.
struct InputPaths {
  std::filesystem::path folder;  // the model's folder
  bool folder_is_input = false;  // IN named the folder: nothing may be written inside it
  std::vector<std::filesystem::path> files;  // the JSON and every shard
};

// Told of every temporary file or folder the disk edge creates, so that a
// program can remove them if a signal ends it before the destructors run.
// Process-wide; set it before creating outputs.
class TempTracker {
 public:
  enum class Kind {
    kRemove,         // a file, or a folder with everything in it
    kRemoveIfEmpty,  // a folder made for OUT: removed only if empty
  };
  virtual ~TempTracker() = default;
  virtual void Track(const std::filesystem::path& p, Kind kind) = 0;
  virtual void Untrack(const std::filesystem::path& p) = 0;
};
void SetTempTracker(TempTracker* tracker);

// Removes what runs that no longer exist left in `folder` (a SIGKILL
// leaves them): folders and files named exactly `prefix` + PID + "-" + N,
// owned by this user, whose PID is gone. Removed by file descriptors,
// never following a link, so a shared /tmp cannot turn it against other
// files.
void RemoveLeftoversOfDeadRuns(const std::filesystem::path& folder, std::string_view prefix);

// An output folder built in a hidden temporary folder beside `out` and
// renamed to `out` by Commit(). Destroyed uncommitted, it removes the
// temporary folder and any parent folders it created. A killed process
// leaves only the hidden folder, which the next Create() beside the same
// `out` removes once its process is gone.
class OutputDir : public FileSink {
 public:
  // Refuses (kAlreadyExists) an `out` that is, or lies inside, a folder
  // input; that is or contains an input file (so --force can never delete
  // the input); that is a symbolic link; that exists and is not a folder;
  // or that is a non-empty folder unless `force`.
  // `replace_hint` ends the message of a refusal that `force` would have
  // avoided, in the caller's terms (the CLI: "pass --force to replace it").
  static Result<std::unique_ptr<OutputDir>> Create(const std::filesystem::path& out, const InputPaths& inputs,
                                                   bool force,
                                                   std::string_view replace_hint = "it is replaced only with force");
  ~OutputDir() override;
  // `name`s are plain file names: no '/', not "." or "..".
  Status WriteFile(std::string_view name, std::span<const uint8_t> data) override;
  Status Rename(std::string_view from, std::string_view to) override;
  // fsync every file (and the folder) in Commit(), before the rename: the
  // output then survives a power loss too. Off by default, as for cp: the
  // rename alone keeps a killed process from leaving a partial OUT.
  void set_sync(bool sync) { sync_ = sync; }
  // Renames the temporary folder to `out`. If something appeared at `out`
  // meanwhile (another run), it is replaced only with `force`; otherwise
  // kAlreadyExists and nothing is written.
  Status Commit();
  const std::filesystem::path& final_path() const { return out_; }

 private:
  OutputDir(std::filesystem::path out, std::filesystem::path tmp, bool force, bool existed,
            std::vector<std::filesystem::path> created)
      : out_(std::move(out)), tmp_(std::move(tmp)), force_(force), existed_(existed), created_(std::move(created)) {}
  Status SyncAll();
  Status Replace();
  void Committed();
  std::filesystem::path out_, tmp_;
  std::string replace_hint_;
  bool force_ = false, existed_ = false, committed_ = false, sync_ = false;
  std::vector<std::filesystem::path> created_;  // parent folders made for `out`, outermost first
};

// Writes `bytes` to `path` through a temporary file beside it and a rename:
// never half a file, and no temporary file left on failure. Refuses a
// `path` that is a folder or is one of `inputs.files`.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes, const InputPaths& inputs);
// Same, for a file made in pieces: `produce` calls its writer with each
// piece in order; its failure leaves nothing behind either.
using ByteWriter = std::function<Status(std::span<const uint8_t>)>;
Status WriteFileAtomically(const std::filesystem::path& path, const std::function<Status(const ByteWriter&)>& produce,
                           const InputPaths& inputs);

}  // namespace tfq
