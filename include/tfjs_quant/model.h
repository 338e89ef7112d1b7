// SPDX-License-Identifier: Apache-2.0
// A model opened for reading: its parsed JSON plus the shard files of every
// group, checked to hold exactly the bytes the manifest describes. Tensors
// are read on demand, one at a time, so a model never has to fit in memory.
//
// Thread-safety: const methods may be called from several threads if the
// FileSource's files allow concurrent ReadAt (the disk and memory ones do).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tfjs_quant/io.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/status.h"

namespace tfq {

// Where one weight's stored bytes are.
struct TensorLocation {
  size_t group = 0;        // index into ModelFile::groups
  size_t index = 0;        // index into the group's weights
  uint64_t offset = 0;     // byte offset in the group's stream
  uint64_t byte_size = 0;  // stored bytes
};

class Model {
 public:
  // Reads `json_name` from `source` (the model's folder), opens every shard
  // and checks their sizes against the manifest.
  static Result<Model> Open(FileSource& source, std::string_view json_name);
  // Same, from JSON text already in memory.
  static Result<Model> FromText(FileSource& source, std::string json_text, std::string_view json_name);

  const ModelFile& file() const { return file_; }
  // Every weight in manifest order (groups concatenated), as tfjs sees them.
  const std::vector<TensorLocation>& tensors() const { return tensors_; }
  const WeightEntry& entry(const TensorLocation& t) const { return file_.groups[t.group].weights[t.index]; }
  // Sum of every group's shard bytes.
  uint64_t total_bytes() const;

  // Reads a weight's stored bytes.
  Status ReadStored(const TensorLocation& t, std::vector<uint8_t>* out) const;
  // Same, into caller memory of exactly t.byte_size bytes (e.g. the bytes of
  // a float buffer, so raw float32 data needs no second copy).
  Status ReadStored(const TensorLocation& t, std::span<uint8_t> out) const;
  // Part of a weight's stored bytes, from `offset` within them (so several
  // threads can read one large weight at once).
  Status ReadStoredPart(const TensorLocation& t, uint64_t offset, std::span<uint8_t> out) const;
  // Decodes a float32 weight to float32 exactly as tfjs's decodeWeights.
  Status DecodeFloat32(const TensorLocation& t, std::vector<float>* out) const;

  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
  ~Model();

 private:
  Model() = default;
  struct Shard {
    std::string path;
    std::unique_ptr<RandomAccessFile> file;
    uint64_t start = 0, size = 0;
  };
  struct GroupData {
    std::vector<Shard> shards;
    uint64_t size = 0;
  };
  Status ReadGroup(size_t group, uint64_t offset, std::span<uint8_t> dst) const;
  Status Layout(FileSource& source);

  ModelFile file_;
  std::vector<GroupData> groups_;
  std::vector<TensorLocation> tensors_;
};

}  // namespace tfq
