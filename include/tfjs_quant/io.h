// SPDX-License-Identifier: Apache-2.0
// The seam between the core and storage. The core reads a model through a
// FileSource (files named relative to the model's folder) and writes through
// a FileSink; it never sees a real path. Disk versions live in disk.h, memory
// versions here serve tests and WebAssembly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/status.h"

namespace tfq {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual uint64_t Size() const = 0;
  // Reads exactly dst.size() bytes at `offset`.
  virtual Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const = 0;
};

class FileSource {
 public:
  virtual ~FileSource() = default;
  // `path` is relative to the model's folder and already checked to stay
  // inside it lexically; implementations also refuse links that leave it.
  virtual Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) = 0;
  // How to name `path` in messages (e.g. the full path on disk).
  virtual std::string Describe(std::string_view path) const { return std::string(path); }
};

class FileSink {
 public:
  virtual ~FileSink() = default;
  // Creates (or replaces) file `name` in the output with `data`.
  virtual Status WriteFile(std::string_view name, std::span<const uint8_t> data) = 0;
  virtual Status Rename(std::string_view from, std::string_view to) = 0;
};

// Reads a whole file from a source.
Result<std::string> ReadAll(FileSource& source, std::string_view path);

// Files held in memory, keyed by relative path.
class MemoryFiles : public FileSource, public FileSink {
 public:
  std::map<std::string, std::vector<uint8_t>, std::less<>> files;

  void Put(std::string name, std::string_view bytes);
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override;
  Status WriteFile(std::string_view name, std::span<const uint8_t> data) override;
  Status Rename(std::string_view from, std::string_view to) override;
};

// Checks that a manifest path stays inside the model's folder: relative, no
// ".." that climbs out, no empty path. Returns the normalized path.
Result<std::string> CheckRelativePath(std::string_view path);

}  // namespace tfq
