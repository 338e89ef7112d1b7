// SPDX-License-Identifier: Apache-2.0
#include "write/shard_writer.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "tfjs_quant/limits.h"
#include "tfjs_quant/text.h"

namespace tfq {

ShardWriter::ShardWriter(FileSink& sink, std::string stem, size_t group_number, uint64_t shard_size, uint64_t* files_left,
                         uint64_t max_files)
    : sink_(sink), stem_(std::move(stem)), group_(group_number), shard_size_(shard_size), files_left_(files_left), max_files_(max_files) {}

Status ShardWriter::WriteShard(std::span<const uint8_t> bytes) {
  if (*files_left_ == 0) {
    return LimitExceeded("the output needs more than " + std::to_string(max_files_) + " shard files of at most " +
                         Bytes(shard_size_) + ", more than " + LimitText("shards", max_files_) +
                         " allows; choose a larger shard size", "shards");
  }
  --*files_left_;
  std::string name = "group" + std::to_string(group_) + "-shard" + std::to_string(temp_names_.size() + 1) + ".part";
  TFQ_RETURN_IF_ERROR(sink_.WriteFile(name, bytes));
  temp_names_.push_back(name);
  sizes_.push_back(bytes.size());
  return Status::Ok();
}

Status ShardWriter::Reserve(size_t n) {
  if (n <= capacity_) return Status::Ok();
  const size_t cap = static_cast<size_t>(std::min<uint64_t>(shard_size_, std::max<uint64_t>({n, 2 * capacity_, 1 << 16})));
  std::unique_ptr<uint8_t[]> grown(new (std::nothrow) uint8_t[cap]);
  if (!grown) return OutOfMemory("cannot allocate " + Bytes(cap) + " for a shard; choose a smaller shard size");
  if (len_) std::memcpy(grown.get(), buffer_.get(), len_);
  buffer_ = std::move(grown);
  capacity_ = cap;
  return Status::Ok();
}

Status ShardWriter::Flush(size_t n) {
  TFQ_RETURN_IF_ERROR(WriteShard(std::span<const uint8_t>(buffer_.get(), n)));
  std::memmove(buffer_.get(), buffer_.get() + n, len_ - n);
  len_ -= n;
  return Status::Ok();
}

Status ShardWriter::Append(std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    // Whole shards straight from the caller's bytes, without the copy.
    if (len_ == 0 && bytes.size() >= shard_size_) {
      TFQ_RETURN_IF_ERROR(WriteShard(bytes.first(static_cast<size_t>(shard_size_))));
      bytes = bytes.subspan(static_cast<size_t>(shard_size_));
      continue;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(shard_size_ - len_, bytes.size()));
    TFQ_RETURN_IF_ERROR(Reserve(len_ + n));
    std::memcpy(buffer_.get() + len_, bytes.data(), n);
    len_ += n;
    bytes = bytes.subspan(n);
    if (len_ == shard_size_) TFQ_RETURN_IF_ERROR(Flush(len_));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ShardWriter::Finish(uint64_t max_last) {
  while (len_ > 0) {
    size_t n = len_;
    if (max_last > 0 && n > max_last) n = static_cast<size_t>(max_last);
    TFQ_RETURN_IF_ERROR(Flush(n));
  }
  std::vector<std::string> names;
  const size_t count = temp_names_.size();
  for (size_t s = 0; s < count; ++s) {
    // face-api.js names its shards NAME-shard1, NAME-shard2, ...
    std::string name = stem_.empty() ? "group" + std::to_string(group_) + "-shard" + std::to_string(s + 1) + "of" +
                                           std::to_string(count) + ".bin"
                       : group_ == 1 ? stem_ + "-shard" + std::to_string(s + 1)
                                     : stem_ + "-group" + std::to_string(group_) + "-shard" + std::to_string(s + 1);
    TFQ_RETURN_IF_ERROR(sink_.Rename(temp_names_[s], name));
    names.push_back(name);
  }
  return names;
}

}  // namespace tfq
