// SPDX-License-Identifier: Apache-2.0
// The weights manifest: groups of shard paths and weight entries, as found in
// model.json's "weightsManifest" or in a standalone *weights_manifest.json
// (spec sections 1.2, 1.3, 3.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/dtype.h"
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
  // The entry object as written back when the tensor is left unchanged
  // (Python json.dump style, every key kept in its order).
  std::string json;
  // Where the entry is, for messages: "weightsManifest[0].weights[3]".
  std::string location;

  Encoding encoding() const { return quantization ? quantization->dtype : Encoding::kRaw; }
  // Stored byte size; 0 with *variable for strings (found by walking data).
  uint64_t FixedByteSize(bool* variable) const;
};

struct WeightGroup {
  std::vector<std::string> paths;  // as written in the manifest
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

  size_t num_weights() const;
};

// Parses and validates a model JSON or standalone manifest. `file_name` names
// it in messages.
Result<ModelFile> ParseModelFile(std::string text, std::string_view file_name);

// Serializes groups as the converter does: [{"paths": [...], "weights": [...]}].
// Entries are taken verbatim from their `json`.
std::string ManifestToJson(const std::vector<WeightGroup>& groups);

}  // namespace tfq
