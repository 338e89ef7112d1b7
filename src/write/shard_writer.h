// SPDX-License-Identifier: Apache-2.0
// Cuts a group's byte stream into shard files of a fixed size, as the
// converter's _shard_group_bytes_to_disk does. The shard count N is only known
// at the end (a tensor with NaN keeps its larger encoding), so shards are
// written under temporary names and renamed when the group is finished.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tfjs_quant/io.h"

namespace tfq {

class ShardWriter {
 public:
  // group_number is 1-based, as in the file names. `files_left` counts down
  // the shard files the whole model may still write (of `max_files`); at 0
  // another shard is a kLimitExceeded.
  // `stem` empty: converter names group<G>-shard<S>of<N>.bin; else
  // face-api.js names <stem>-shard<S> (<stem>-group<G>-shard<S> past group 1).
  ShardWriter(FileSink& sink, std::string stem, size_t group_number, uint64_t shard_size, uint64_t* files_left, uint64_t max_files);

  Status Append(std::span<const uint8_t> bytes);
  // Writes the last shard. If `max_last` > 0 the final piece is split so that
  // no piece exceeds it (tfjs's CompositeArrayBuffer quirk, spec 1.5).
  // Renames the shards to their final names and returns them.
  Result<std::vector<std::string>> Finish(uint64_t max_last);

  // Sizes of the shards written so far (all but the buffered one).
  const std::vector<uint64_t>& sizes() const { return sizes_; }
  uint64_t pending() const { return len_; }

 private:
  Status Flush(size_t n);
  Status WriteShard(std::span<const uint8_t> bytes);
  Status Reserve(size_t n);

  FileSink& sink_;
  std::string stem_;
  size_t group_;
  uint64_t shard_size_;
  uint64_t* files_left_;
  uint64_t max_files_;
  // The pending bytes of the current shard; grows as needed up to the shard
  // size (which may be far larger than the model).
  std::unique_ptr<uint8_t[]> buffer_;
  size_t capacity_ = 0, len_ = 0;
  std::vector<std::string> temp_names_;
  std::vector<uint64_t> sizes_;
};

}  // namespace tfq
