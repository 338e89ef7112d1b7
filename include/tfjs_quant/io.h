// SPDX-License-Identifier: Apache-2.0
// The seam between the core and storage. The core reads a model through a
// FileSource (files named by normalized relative paths, checked by
// CheckRelativePath) and writes through a FileSink; it never sees a real
// path. Disk versions live in disk.h (a separate target); the memory
// versions here serve tests, fuzzers and WebAssembly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/status.h"
#include "tfjs_quant/text.h"

namespace tfq {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual uint64_t Size() const = 0;
  // Reads exactly dst.size() bytes at `offset`. May be called from several
  // threads at once.
  virtual Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const = 0;
  // The whole file, if it is in memory already (SpanFiles: the caller's
  // bytes; MemoryFiles: its entry, until that is replaced or renamed).
  // Empty: read it with ReadAt.
  virtual std::span<const uint8_t> InMemory() const { return {}; }
};

class FileSource {
 public:
  virtual ~FileSource() = default;
  // `path` is relative to the model's folder and normalized; implementations
  // also refuse what is not a plain file and links that leave the folder.
  // A Model opens a shard each time it reads from it, so that a model with
  // thousands of shards never holds thousands of open files.
  virtual Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) = 0;
  // How to name `path` in messages (e.g. the full path on disk), printable.
  virtual std::string Describe(std::string_view path) const { return Quoted(path); }
  // True if its files' InMemory() gives their bytes (so a Model can use
  // them in place without opening a file on disk to find out).
  virtual bool HoldsBytesInMemory() const { return false; }
};

class FileSink {
 public:
  virtual ~FileSink() = default;
  // Creates file `name` (a plain file name, not yet in the output) with
  // `data`.
  virtual Status WriteFile(std::string_view name, std::span<const uint8_t> data) = 0;
  virtual Status Rename(std::string_view from, std::string_view to) = 0;
};

// Reads a whole file from a source; a file larger than `max_bytes` is a
// kLimitExceeded naming `limit_name`, refused before anything is allocated.
Result<std::string> ReadAll(FileSource& source, std::string_view path, uint64_t max_bytes,
                            std::string_view limit_name);

// Files the caller holds in memory, read in place: nothing is copied. The
// bytes must stay alive and unchanged while a Model opened from this source
// (or a file it opened) is in use.
class SpanFiles : public FileSource {
 public:
  void Add(std::string name, std::span<const uint8_t> bytes) { files_[std::move(name)] = bytes; }
  void Add(std::string name, std::string_view bytes) {
    Add(std::move(name), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override;
  bool HoldsBytesInMemory() const override { return true; }

 private:
  std::map<std::string, std::span<const uint8_t>, std::less<>> files_;
};

// Files owned in memory, keyed by relative path: a source and a sink.
class MemoryFiles : public FileSource, public FileSink {
 public:
  std::map<std::string, std::vector<uint8_t>, std::less<>> files;

  void Put(std::string name, std::string_view bytes);
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override;
  bool HoldsBytesInMemory() const override { return true; }
  Status WriteFile(std::string_view name, std::span<const uint8_t> data) override;
  Status Rename(std::string_view from, std::string_view to) override;
};

}  // namespace tfq
