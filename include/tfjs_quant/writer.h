// SPDX-License-Identifier: Apache-2.0
// Writes a model with each tensor re-encoded as planned: the model JSON
// (everything but the manifest kept byte for byte) and converter-style shards
// group<G>-shard<S>of<N>.bin. Tensors stream through one at a time; at most
// one shard (shard_size_bytes) is buffered.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tfjs_quant/executor.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/select.h"

namespace tfq {

struct WriteOptions {
  // Bytes per shard file; the converter's --weight_shard_size_bytes. Must be > 0.
  uint64_t shard_size_bytes = 4194304;
  // Shard file names: empty for the converter's group<G>-shard<S>of<N>.bin,
  // else face-api.js style <stem>-shard<S>. A plain file name.
  std::string shard_stem;
  // float64 (numpy >= 2, default) or numpy-1 float32 arithmetic (spec 3.3).
  Arithmetic arithmetic = Arithmetic::kFloat64;
  // Runs a large tensor's range scan and encoding, and batches of small
  // tensors, in parallel (bytes are the same for any executor). Null: the
  // caller's thread only. Not owned.
  Executor* executor = nullptr;
  // Called after each tensor with the input bytes done so far and in all.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// What happened to one tensor.
struct TensorOutcome {
  std::string name;
  Encoding before = Encoding::kRaw, after = Encoding::kRaw;
  bool changed = false;  // re-encoded (even to the same encoding); false: bytes and entry kept
  uint64_t bytes_before = 0, bytes_after = 0;
  size_t nan_count = 0, inf_count = 0;  // set when non-finite values blocked quantizing
};

struct WriteReport {
  std::vector<TensorOutcome> tensors;
  uint64_t bytes_before = 0, bytes_after = 0;
  std::vector<std::string> files;     // every file written, JSON last
  std::vector<std::string> warnings;  // one line each, for the user
};

// `plan` holds one Target per model.tensors() entry. More shard files than
// model.limits().shards is a kLimitExceeded, found before the sink is
// asked to write anything.
Result<WriteReport> WriteModel(const Model& model, std::span<const Target> plan, const WriteOptions& options,
                               FileSink& sink);

// One tensor re-encoded as WriteModel would store it: its bytes and its
// manifest entry. Lets an evaluator try a tensor in another encoding
// without writing a model.
struct EncodedTensor {
  std::vector<uint8_t> bytes;
  WeightEntry entry;
  bool changed = false;  // false: kept as stored (target kKeep, NaN/Inf, empty)
};
Result<EncodedTensor> EncodeTensor(const Model& model, size_t tensor_index, Target target,
                                   const WriteOptions& options = {});

}  // namespace tfq
