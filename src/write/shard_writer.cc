// SPDX-License-Identifier: Apache-2.0
#include "write/shard_writer.h"

#include <algorithm>

namespace tfq {

ShardWriter::ShardWriter(FileSink& sink, size_t group_number, uint64_t shard_size)
    : sink_(sink), group_(group_number), shard_size_(shard_size) {}

Status ShardWriter::WriteShard(std::span<const uint8_t> bytes) {
  std::string name = "group" + std::to_string(group_) + "-shard" + std::to_string(temp_names_.size() + 1) + ".part";
  TFQ_RETURN_IF_ERROR(sink_.WriteFile(name, bytes));
  temp_names_.push_back(name);
  sizes_.push_back(bytes.size());
  return Status::Ok();
}

Status ShardWriter::Flush(size_t n) {
  TFQ_RETURN_IF_ERROR(WriteShard(std::span<const uint8_t>(buffer_.data(), n)));
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
  return Status::Ok();
}

Status ShardWriter::Append(std::span<const uint8_t> bytes) {
  total_ += bytes.size();
  while (!bytes.empty()) {
    // Whole shards straight from the caller's bytes, without the copy.
    if (buffer_.empty() && bytes.size() >= shard_size_) {
      TFQ_RETURN_IF_ERROR(WriteShard(bytes.first(static_cast<size_t>(shard_size_))));
      bytes = bytes.subspan(static_cast<size_t>(shard_size_));
      continue;
    }
    size_t room = static_cast<size_t>(shard_size_ - buffer_.size());
    size_t n = std::min(room, bytes.size());
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (buffer_.size() == shard_size_) TFQ_RETURN_IF_ERROR(Flush(buffer_.size()));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ShardWriter::Finish(uint64_t max_last) {
  while (!buffer_.empty()) {
    size_t n = buffer_.size();
    if (max_last > 0 && n > max_last) n = static_cast<size_t>(max_last);
    TFQ_RETURN_IF_ERROR(Flush(n));
  }
  std::vector<std::string> names;
  const size_t count = temp_names_.size();
  for (size_t s = 0; s < count; ++s) {
    std::string name = "group" + std::to_string(group_) + "-shard" + std::to_string(s + 1) + "of" +
                       std::to_string(count) + ".bin";
    TFQ_RETURN_IF_ERROR(sink_.Rename(temp_names_[s], name));
    names.push_back(name);
  }
  return names;
}

}  // namespace tfq
