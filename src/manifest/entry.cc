// SPDX-License-Identifier: Apache-2.0
// Manifest entries and groups written back as the converter writes them
// (Python json.dump style), from their kept members.
#include "json/json.h"
#include "tfjs_quant/manifest.h"
#include "tfjs_quant/text.h"
#include "util/scratch.h"

namespace tfq {

uint64_t WeightEntry::FixedByteSize(bool* variable) const {
  *variable = false;
  if (quantization) return num_elements * EncodingElementBytes(quantization->dtype);
  if (dtype == DType::kString) {
    *variable = true;
    return 0;
  }
  return num_elements * DTypeElementBytes(dtype);
}

size_t ModelFile::num_weights() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.weights.size();
  return n;
}

Status NoMemoryFor(const WeightEntry& e, uint64_t bytes) {
  return OutOfMemory("cannot allocate " + Bytes(bytes) + " for weight " + Quoted(e.name));
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string EntryToJson(const WeightEntry& e) {
  std::string out = "{";
  for (const auto& [key, value] : e.members) {
    if (out.size() > 1) out += ", ";
    out += json::PythonStringLiteral(key);
    out += ": ";
    out += value;
  }
  return out + "}";
}

void SetQuantization(WeightEntry& e, const std::optional<Quantization>& q) {
  e.quantization = q;
  auto it = e.members.begin();
  while (it != e.members.end() && it->first != "quantization") ++it;
  if (!q) {
    if (it != e.members.end()) e.members.erase(it);
    return;
  }
  std::string text = "{\"dtype\": " + json::PythonStringLiteral(EncodingName(q->dtype));
  if (q->dtype != Encoding::kFloat16) {
    text += ", \"min\": " + json::PythonFloatRepr(q->min) + ", \"scale\": " + json::PythonFloatRepr(q->scale);
  }
  text += ", \"original_dtype\": \"float32\"}";
  if (it != e.members.end()) {
    it->second = std::move(text);  // in place, as Python's dict assignment
  } else {
    e.members.emplace_back("quantization", std::move(text));
  }
}

std::string ManifestToJson(const std::vector<WeightGroup>& groups) {
  std::string out = "[";
  for (size_t g = 0; g < groups.size(); ++g) {
    if (g) out += ", ";
    out += "{\"paths\": [";
    for (size_t p = 0; p < groups[g].paths.size(); ++p) {
      if (p) out += ", ";
      out += json::PythonStringLiteral(groups[g].paths[p]);
    }
    out += "], \"weights\": [";
    for (size_t i = 0; i < groups[g].weights.size(); ++i) {
      if (i) out += ", ";
      out += EntryToJson(groups[g].weights[i]);
    }
    out += "]}";
  }
  out += "]";
  return out;
}

}  // namespace tfq
