// SPDX-License-Identifier: Apache-2.0
// In-memory FileSource/FileSink, and the lexical path check every source
// shares.
#include <algorithm>
#include <cstring>

#include "tfjs_quant/io.h"

namespace tfq {
namespace {

class MemoryFile : public RandomAccessFile {
 public:
  explicit MemoryFile(const std::vector<uint8_t>* data) : data_(data) {}
  uint64_t Size() const override { return data_->size(); }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (offset > data_->size() || dst.size() > data_->size() - offset) {
      return IOError("read past the end of an in-memory file");
    }
    if (!dst.empty()) std::memcpy(dst.data(), data_->data() + offset, dst.size());
    return Status::Ok();
  }

 private:
  const std::vector<uint8_t>* data_;
};

}  // namespace

Result<std::string> ReadAll(FileSource& source, std::string_view path) {
  TFQ_ASSIGN_OR_RETURN(auto file, source.Open(path));
  std::string text(file->Size(), '\0');
  TFQ_RETURN_IF_ERROR(file->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  return text;
}

void MemoryFiles::Put(std::string name, std::string_view bytes) {
  files[std::move(name)] = std::vector<uint8_t>(bytes.begin(), bytes.end());
}

Result<std::unique_ptr<RandomAccessFile>> MemoryFiles::Open(std::string_view path) {
  auto it = files.find(path);
  if (it == files.end()) return NotFound(std::string(path) + ": no such file");
  return std::unique_ptr<RandomAccessFile>(new MemoryFile(&it->second));
}

Status MemoryFiles::WriteFile(std::string_view name, std::span<const uint8_t> data) {
  files[std::string(name)] = std::vector<uint8_t>(data.begin(), data.end());
  return Status::Ok();
}

Status MemoryFiles::Rename(std::string_view from, std::string_view to) {
  auto it = files.find(from);
  if (it == files.end()) return NotFound(std::string(from) + ": no such file");
  auto data = std::move(it->second);
  files.erase(it);
  files[std::string(to)] = std::move(data);
  return Status::Ok();
}

Result<std::string> CheckRelativePath(std::string_view path) {
  if (path.empty()) return UnsafePath("empty path");
  if (path.front() == '/' || path.front() == '\\' ||
      (path.size() > 1 && path[1] == ':')) {
    return UnsafePath("'" + std::string(path) + "' is absolute; shard paths must be relative to the model's folder");
  }
  if (path.find('\0') != std::string_view::npos) return UnsafePath("path contains a NUL byte");
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find_first_of("/\\", i);
    if (j == std::string_view::npos) j = path.size();
    std::string part(path.substr(i, j - i));
    if (part == "..") {
      if (parts.empty()) {
        return UnsafePath("'" + std::string(path) + "' leaves the model's folder");
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  if (parts.empty()) return UnsafePath("'" + std::string(path) + "' names no file");
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace tfq
