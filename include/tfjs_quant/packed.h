// SPDX-License-Identifier: Apache-2.0
// Tensors from other frameworks' files (tfjs_quant/pack.h) presented as a
// tfjs model: a FileSource holding a model JSON (or standalone manifest)
// and one shard whose bytes are the tensors converted as tfjs needs them.
// Model::Open reads it like any model, so quantize, inspect, auto and the
// writer work on packed tensors without a detour through disk; the shard's
// bytes are made on demand, one tensor at a time.
//
// Conversion follows tensorflowjs_converter: float64, bfloat16 and float16
// become float32 (float16 may instead be kept as tfjs's float16
// quantization, which decodes to the same float32 values); int64, uint64,
// uint32, int16, int8, uint16 and uint8 become int32 (a value outside int32
// is an error naming the tensor); bool stays bool.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/dtype.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

namespace tfq {

// One tfjs weight made from one source tensor.
struct PackEntry {
  size_t source = 0;      // index into the sources
  std::string name;       // the weight's tfjs name
  std::vector<int> perm;  // output axis i is source axis perm[i]; empty: as stored
};

struct PackOptions {
  // float16 sources stored as float16 (the manifest's float16 quantization)
  // rather than widened to float32.
  bool keep_float16 = false;
  // The JSON's file name: a standalone manifest ("weights_manifest.json",
  // "NAME-weights_manifest.json"), or the model JSON's name.
  std::string json_name = "weights_manifest.json";
  // A model JSON (layers or graph topology) to put the manifest in; its
  // "weightsManifest" is replaced (or added). Unset: a standalone manifest.
  std::optional<std::string> model_json;
};

// The tfjs dtype a source dtype becomes.
DType PackedDType(SourceDType d);

// Longest tensor name pack accepts: far above any real one, and short
// enough for regular expressions (--rename) and messages.
inline constexpr size_t kMaxTensorName = 4096;
// Checks a tensor name from an input file (`origin` names it in messages):
// not empty (kFormatError), valid UTF-8, as JSON and JavaScript need it,
// and at most kMaxTensorName bytes (kUnsupported).
Status CheckTensorName(std::string_view name, std::string_view origin);

// Checks that `perm` is a permutation of 0..rank-1; `tensor` names it.
Status CheckPermutation(std::span<const int> perm, size_t rank, std::string_view tensor);

// The --layout torch preset: the permutation that turns a PyTorch weight
// into the tfjs layout (conv [O,I,kH,kW] -> [kH,kW,I,O]; depthwise, named
// so, [C,1,kH,kW] -> [kH,kW,C,1]; conv1d/3d likewise; a Linear ".weight"
// [out,in] -> [in,out]). Empty: kept as stored.
std::vector<int> TorchLayoutPermutation(std::string_view name, std::span<const int64_t> shape);

// Which source tensors are packed, under which names and in which axis
// order: what `tfjs-quant pack` takes as --include, --exclude, --rename,
// --prefix, --transpose and --layout torch.
struct PackNaming {
  // Whole-name globs (Python fnmatch) over the names in the files. Empty
  // include: every tensor; a tensor any exclude pattern matches is left out.
  std::vector<std::string> include, exclude;
  // "REGEX=>REPLACEMENT", applied in order to every name (RE2 syntax; $1 for
  // a group: docs/pack.md). Each result is checked as a name is.
  std::vector<std::string> renames;
  std::string prefix;  // put before every name, after the renames
  // "PATTERN=PERM" (e.g. "*.weight=2,3,1,0"): tensors whose name in the file
  // matches PATTERN get their axes permuted; the first match wins.
  std::vector<std::string> transposes;
  // PyTorch's layouts to tfjs's (TorchLayoutPermutation) where no transpose
  // matched, and BatchNorm's num_batches_tracked left out.
  bool torch_layout = false;
};

// Checks a standalone manifest's name stem (face-api.js style: the files
// STEM-weights_manifest.json and STEM-shard1, ...) by the rule the reader
// applies to shard paths (CheckOutputFileName), before anything is read
// or written. kInvalidArgument.
Status CheckManifestStem(std::string_view stem);

// The tfjs weights `sources` become under `naming`, in the sources' order.
// Every packed name is checked (not empty, UTF-8, at most kMaxTensorName
// bytes) as found in the file and after every rename, naming the input:
// kFormatError for a tensor without a name, kUnsupported for a name tfjs
// cannot hold; kInvalidArgument for a bad spec or when no tensor is left.
Result<std::vector<PackEntry>> PlanPackEntries(std::span<const SourceTensor> sources, const PackNaming& naming);

class Model;

// Compares the weights of `packed` with those `model_json` (named `label`)
// declares in its weightsManifest: every missing, extra and differently
// shaped weight listed in one kMismatch. A model JSON without a manifest
// is not checked.
Status CheckPackedWeights(const std::string& model_json, std::string_view label, const Model& packed,
                          const Limits& limits);

class PackedFiles : public FileSource {
 public:
  // Checks every entry (names unique, permutations fit, integers within
  // int32: int64 tensors are read once here) and builds the JSON. Nothing
  // else is read until the model is.
  static Result<std::unique_ptr<PackedFiles>> Create(std::vector<SourceTensor> sources,
                                                     std::vector<PackEntry> entries, const PackOptions& options,
                                                     const Limits& limits);
  ~PackedFiles() override;

  const std::string& json_name() const { return json_name_; }
  const std::string& json_text() const { return json_text_; }
  // The shard's name in the JSON.
  static constexpr std::string_view kShardName = "packed-tensors.bin";

  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override;
  std::string Describe(std::string_view path) const override;

  struct Layout;  // the converted tensors, in manifest order

 private:
  PackedFiles() = default;
  std::string json_name_, json_text_;
  std::shared_ptr<const Layout> layout_;
};

}  // namespace tfq
