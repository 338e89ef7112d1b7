// SPDX-License-Identifier: Apache-2.0
// In-memory FileSource/FileSink: SpanFiles reads the caller's bytes in
// place; MemoryFiles owns its bytes and serves as a sink too.
#include <cstring>

#include "tfjs_quant/io.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/text.h"

namespace tfq {
namespace {

class SpanFile : public RandomAccessFile {
 public:
  explicit SpanFile(std::span<const uint8_t> data) : data_(data) {}
  uint64_t Size() const override { return data_.size(); }
  Status ReadAt(uint64_t offset, std::span<uint8_t> dst) const override {
    if (offset > data_.size() || dst.size() > data_.size() - offset) {
      return IOError("read past the end of an in-memory file");
    }
    if (!dst.empty()) std::memcpy(dst.data(), data_.data() + offset, dst.size());
    return Status::Ok();
  }
  std::span<const uint8_t> InMemory() const override { return data_; }

 private:
  std::span<const uint8_t> data_;
};

Status NoSuchFile(std::string_view path) { return NotFound(Quoted(path) + ": no such file"); }

}  // namespace

Result<std::string> ReadAll(FileSource& source, std::string_view path, uint64_t max_bytes,
                            std::string_view limit_name) {
  TFQ_ASSIGN_OR_RETURN(auto file, source.Open(path));
  const uint64_t size = file->Size();
  if (size > max_bytes) {
    return LimitExceeded(source.Describe(path) + ": " + Bytes(size) + " exceed " + LimitText(limit_name, max_bytes), limit_name);
  }
  std::string text(static_cast<size_t>(size), '\0');
  TFQ_RETURN_IF_ERROR(file->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size())));
  return text;
}

Result<std::unique_ptr<RandomAccessFile>> SpanFiles::Open(std::string_view path) {
  auto it = files_.find(path);
  if (it == files_.end()) return NoSuchFile(path);
  return std::unique_ptr<RandomAccessFile>(new SpanFile(it->second));
}

void MemoryFiles::Put(std::string name, std::string_view bytes) {
  files[std::move(name)] = std::vector<uint8_t>(bytes.begin(), bytes.end());
}

Result<std::unique_ptr<RandomAccessFile>> MemoryFiles::Open(std::string_view path) {
  auto it = files.find(path);
  if (it == files.end()) return NoSuchFile(path);
  return std::unique_ptr<RandomAccessFile>(new SpanFile(it->second));
}

Status MemoryFiles::WriteFile(std::string_view name, std::span<const uint8_t> data) {
  // As for a folder on disk: a second file of one name (a model JSON named
  // like one of its shards) is refused, never silently replaced.
  if (files.find(name) != files.end()) return AlreadyExists(Quoted(name) + " was already written");
  files[std::string(name)] = std::vector<uint8_t>(data.begin(), data.end());
  return Status::Ok();
}

Status MemoryFiles::Rename(std::string_view from, std::string_view to) {
  auto it = files.find(from);
  if (it == files.end()) return NoSuchFile(from);
  auto data = std::move(it->second);
  files.erase(it);
  files[std::string(to)] = std::move(data);
  return Status::Ok();
}

}  // namespace tfq
