// SPDX-License-Identifier: Apache-2.0
// A model opened for reading: its parsed JSON plus the shard files of every
// group, checked to hold exactly the bytes the manifest describes. Tensors
// are read on demand, one at a time, so a model never has to fit in memory.
//
// Lifetime: a Model keeps a pointer to the FileSource it was opened from and
// opens a shard each time it reads from it. The source (and, for SpanFiles,
// the bytes it points at) must outlive the Model.
//
// Thread-safety: const methods may be called from several threads if the
// FileSource allows concurrent Open and ReadAt (the disk and memory ones do).
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
  // Reads `json_name` from `source` (the model's folder), checks it and the
  // size of every shard against the manifest and `limits`.
  static Result<Model> Open(FileSource& source, std::string_view json_name, const Limits& limits = {});
  // Same, from JSON text already in memory.
  static Result<Model> FromText(FileSource& source, std::string json_text, std::string_view json_name,
                                const Limits& limits = {});

  const ModelFile& file() const { return file_; }
  // The limits the model was opened with; the writer applies them too.
  const Limits& limits() const { return limits_; }
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
  // A weight's stored bytes in place, when they lie in one shard that its
  // FileSource holds in memory (SpanFiles, MemoryFiles), valid as that
  // file's InMemory(). Empty otherwise (or for an empty weight): use
  // ReadStored.
  std::span<const uint8_t> StoredInMemory(const TensorLocation& t) const;
  // Part of a weight's stored bytes, from `offset` within them (so several
  // threads can read one large weight at once).
  Status ReadStoredPart(const TensorLocation& t, uint64_t offset, std::span<uint8_t> out) const;
  // Decodes a float32 weight to float32 exactly as tfjs's decodeWeights.
  // (The vector's allocation is bounded by limits().tensor_elements.)
  Status DecodeFloat32(const TensorLocation& t, std::vector<float>* out) const;

  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
  ~Model();

 private:
  Model() = default;
  struct Shard {
    std::string path;  // as opened (normalized)
    uint64_t start = 0, size = 0;
  };
  struct GroupData {
    std::vector<Shard> shards;
    uint64_t size = 0;
  };
  Status ReadGroup(size_t group, uint64_t offset, std::span<uint8_t> dst) const;
  // The shard of `group` that holds byte `offset` (end() if none).
  std::vector<Shard>::const_iterator ShardAt(size_t group, uint64_t offset) const;
  Status OpenShards(size_t group);
  Status LayOutGroup(size_t group);
  Result<uint64_t> StringBytes(size_t group, uint64_t offset, const WeightEntry& e) const;
  std::string ShardList(size_t group) const;

  FileSource* source_ = nullptr;
  Limits limits_;
  ModelFile file_;
  std::vector<GroupData> groups_;
  std::vector<TensorLocation> tensors_;
};

}  // namespace tfq
