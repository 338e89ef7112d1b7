// SPDX-License-Identifier: Apache-2.0
// The weights manifest: groups of shard paths and weight entries, as found in
// model.json's "weightsManifest" or in a standalone *weights_manifest.json
// (spec sections 1.2, 1.3, 3.1).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tfjs_quant/dtype.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/status.h"

namespace tfq {

struct Quantization {
  Encoding dtype = Encoding::kUint8;  // never kRaw
  double min = 0;                     // uint8/uint16 only
  double scale = 1;                   // uint8/uint16 only
};

struct WeightEntry {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kFloat32;
  std::optional<Quantization> quantization;
  uint64_t num_elements = 1;
  // Every member of the entry object in file order, each value as Python's
  // json.dump writes it. What is written back: the writer changes only the
  // "quantization" member (SetQuantization); "group" and keys tfjs-quant
  // does not know pass through.
  std::vector<std::pair<std::string, std::string>> members;
  // Where the entry is, for messages: "weightsManifest[0].weights[3]".
  std::string location;

  Encoding encoding() const { return quantization ? quantization->dtype : Encoding::kRaw; }
  // Stored byte size; 0 with *variable for strings (found by walking data).
  uint64_t FixedByteSize(bool* variable) const;
};

// "[3,3,24,1]", for messages and tables.
std::string ShapeText(const std::vector<int64_t>& shape);

// The entry object as JSON text, Python json.dump style.
std::string EntryToJson(const WeightEntry& e);

// Sets the entry's quantization (nullopt: removes it), in `quantization` and
// in `members`, as the converter writes it: {"dtype", "min", "scale",
// "original_dtype"} for uint8/uint16, {"dtype", "original_dtype"} for
// float16. A new member goes last.
void SetQuantization(WeightEntry& e, const std::optional<Quantization>& q);

struct WeightGroup {
  std::vector<std::string> paths;  // as written in the manifest
  std::vector<std::string> files;  // the same, normalized by CheckRelativePath: what is opened
  std::vector<WeightEntry> weights;
};

enum class ModelKind : uint8_t {
  kModelJson,           // an object with "weightsManifest"
  kStandaloneManifest,  // a bare JSON array of groups
};

// A parsed model JSON file. The text is kept so that everything but the
// manifest is written back byte for byte.
struct ModelFile {
  ModelKind kind = ModelKind::kModelJson;
  std::string file_name;  // e.g. "model.json", "posenet.json"
  std::string text;
  size_t manifest_begin = 0, manifest_end = 0;  // byte span of the manifest value
  std::string format;  // "graph-model", "layers-model", or "" if absent
  std::vector<WeightGroup> groups;
  // Weights the graph topology feeds to depthwise convolutions, whose
  // channel axis is not the last one (inspect).
  std::vector<std::string> depthwise_weights;

  size_t num_weights() const;
};

// Parses and validates a model JSON or standalone manifest against what
// tfjs's loaders accept and against `limits`. `file_name` names it in
// messages. Only the manifest and the few topology facts above are kept in
// memory while parsing.
Result<ModelFile> ParseModelFile(std::string text, std::string_view file_name, const Limits& limits = {});

// Serializes groups as the converter does: [{"paths": [...], "weights": [...]}].
std::string ManifestToJson(const std::vector<WeightGroup>& groups);

// Checks that a manifest path names a file inside the model's folder, the
// same for every loader: relative, no ".." climbing out, no backslash,
// colon, '?', '#' or control character (a URL, a drive letter or a query
// would mean something else to a browser). Returns it normalized ("a/./b"
// -> "a/b").
Result<std::string> CheckRelativePath(std::string_view path);

// Checks that `name` is one plain file name: not empty, no '/' or NUL, not
// "." or "..", at most 255 bytes (what file systems take for one name;
// longer, some writers cut it without a word). kInvalidArgument.
Status CheckPlainFileName(std::string_view name);

// Checks a name the writer gives a file of its own (a shard, a standalone
// manifest) by the rule above and by CheckRelativePath: what is written is
// what every reader takes back. kInvalidArgument: the name comes from the
// caller's options.
Status CheckOutputFileName(std::string_view name);

// Which of a folder's .json files (`json_names`, sorted) is the model:
// model.json, else the only one, else the only *weights_manifest.json.
// `folder` names the folder in messages (printable). Shared by the disk
// edge and in-memory file maps, so both pick the same file.
Result<std::string> ChooseModelJson(std::span<const std::string> json_names, std::string_view folder);

}  // namespace tfq
