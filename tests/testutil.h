// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the unit tests: hex and little-endian byte builders, and
// a small builder for in-memory models (model.json or a standalone manifest
// plus converter-style shard files) held in a MemoryFiles.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs_quant/io.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/status.h"

namespace tfq::testing {

// Lower-case hex of bytes, no separators.
inline std::string Hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}
inline std::string Hex(const std::vector<uint8_t>& b) { return Hex(std::span<const uint8_t>(b)); }
inline std::string Hex(std::string_view b) {
  return Hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

// Bytes from hex; spaces and '|' are ignored so spec text can be pasted.
inline std::string Unhex(std::string_view hex) {
  std::string digits;
  for (char c : hex)
    if (c != ' ' && c != '|') digits += c;
  EXPECT_EQ(digits.size() % 2, 0u) << hex;
  std::string out;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
  }
  return out;
}

// Spec notation "bf8019b3 bdd4073b": float32 bit patterns separated by spaces.
inline std::string BitsHex(float f) {
  char b[9];
  std::snprintf(b, sizeof b, "%08x", std::bit_cast<uint32_t>(f));
  return b;
}
inline std::string BitsHex(std::span<const float> v) {
  std::string s;
  for (float f : v) {
    if (!s.empty()) s += ' ';
    s += BitsHex(f);
  }
  return s;
}
inline float FloatFromBits(uint32_t b) { return std::bit_cast<float>(b); }

inline std::string F32LE(std::initializer_list<float> v) {
  std::string s;
  for (float f : v) {
    uint32_t b = std::bit_cast<uint32_t>(f);
    for (int i = 0; i < 4; ++i) s += static_cast<char>(b >> (8 * i));
  }
  return s;
}
inline std::string F32LE(const std::vector<float>& v) {
  std::string s;
  for (float f : v) {
    uint32_t b = std::bit_cast<uint32_t>(f);
    for (int i = 0; i < 4; ++i) s += static_cast<char>(b >> (8 * i));
  }
  return s;
}
inline std::string I32LE(std::initializer_list<int32_t> v) {
  std::string s;
  for (int32_t x : v) {
    uint32_t b = static_cast<uint32_t>(x);
    for (int i = 0; i < 4; ++i) s += static_cast<char>(b >> (8 * i));
  }
  return s;
}
inline std::string U16LE(std::initializer_list<uint16_t> v) {
  std::string s;
  for (uint16_t x : v) {
    s += static_cast<char>(x & 0xff);
    s += static_cast<char>(x >> 8);
  }
  return s;
}
// tfjs string tensor bytes: uint32 LE length, then the bytes, per element.
inline std::string StringsLE(std::initializer_list<std::string_view> v) {
  std::string s;
  for (auto x : v) {
    uint32_t n = static_cast<uint32_t>(x.size());
    for (int i = 0; i < 4; ++i) s += static_cast<char>(n >> (8 * i));
    s += x;
  }
  return s;
}

inline std::string ToString(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// One manifest entry: its JSON object text (as it should appear in the
// manifest) and its stored bytes.
struct TestWeight {
  std::string json;
  std::string bytes;
};

// {"name": N, "shape": S, "dtype": D[, "quantization": Q]} in converter style.
inline std::string EntryJson(std::string_view name, std::string_view shape, std::string_view dtype,
                             std::string_view quantization = "") {
  std::string s = "{\"name\": \"" + std::string(name) + "\", \"shape\": " + std::string(shape) + ", \"dtype\": \"" +
                  std::string(dtype) + "\"";
  if (!quantization.empty()) s += ", \"quantization\": " + std::string(quantization);
  return s + "}";
}

inline TestWeight Float32Weight(std::string_view name, std::string_view shape, std::initializer_list<float> v) {
  return {EntryJson(name, shape, "float32"), F32LE(v)};
}
inline TestWeight Float32Weight(std::string_view name, std::string_view shape, const std::vector<float>& v) {
  return {EntryJson(name, shape, "float32"), F32LE(v)};
}

struct TestGroup {
  std::vector<TestWeight> weights;
  // Shard size used to cut the group's bytes; 0 = one shard with everything
  // (no shard at all when the group is empty).
  uint64_t shard_size = 0;
  // If set, used as the manifest's "paths" instead of the generated names
  // (and no shard files are generated for the group).
  std::vector<std::string> paths_override;
  bool override_paths = false;
};

inline std::string GroupBytes(const TestGroup& g) {
  std::string s;
  for (const auto& w : g.weights) s += w.bytes;
  return s;
}

// Writes the groups' shards into `files` as group<G>-shard<S>of<N>.bin and
// returns the manifest JSON text (Python json.dump style).
inline std::string PutShards(MemoryFiles& files, const std::vector<TestGroup>& groups) {
  std::string m = "[";
  for (size_t g = 0; g < groups.size(); ++g) {
    const TestGroup& grp = groups[g];
    std::vector<std::string> paths;
    if (grp.override_paths) {
      paths = grp.paths_override;
    } else {
      std::string all = GroupBytes(grp);
      uint64_t size = grp.shard_size ? grp.shard_size : (all.empty() ? 1 : all.size());
      size_t n = (all.size() + size - 1) / size;
      for (size_t s = 0; s < n; ++s) {
        std::string name = "group" + std::to_string(g + 1) + "-shard" + std::to_string(s + 1) + "of" +
                           std::to_string(n) + ".bin";
        files.Put(name, std::string_view(all).substr(s * size, size));
        paths.push_back(name);
      }
    }
    if (g) m += ", ";
    m += "{\"paths\": [";
    for (size_t p = 0; p < paths.size(); ++p) m += (p ? ", \"" : "\"") + paths[p] + "\"";
    m += "], \"weights\": [";
    for (size_t i = 0; i < grp.weights.size(); ++i) m += (i ? ", " : "") + grp.weights[i].json;
    m += "]}";
  }
  return m + "]";
}

// A converter-like layers-model model.json around `manifest`.
inline std::string ModelJsonAround(std::string_view manifest) {
  return "{\"format\": \"layers-model\", \"generatedBy\": \"keras v2.13.1\", \"convertedBy\": "
         "\"TensorFlow.js Converter v4.22.0\", \"modelTopology\": {\"keras_version\": \"2.13.1\", \"backend\": "
         "\"tensorflow\", \"model_config\": {\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": "
         "[]}}}, \"weightsManifest\": " +
         std::string(manifest) + "}";
}

// Puts shards and model.json (or, if `standalone`, weights_manifest.json) into
// `files`; returns the JSON file name.
inline std::string PutModel(MemoryFiles& files, const std::vector<TestGroup>& groups, bool standalone = false) {
  std::string manifest = PutShards(files, groups);
  if (standalone) {
    files.Put("weights_manifest.json", manifest);
    return "weights_manifest.json";
  }
  files.Put("model.json", ModelJsonAround(manifest));
  return "model.json";
}

inline std::string FileText(const MemoryFiles& files, const std::string& name) {
  auto it = files.files.find(name);
  if (it == files.files.end()) {
    ADD_FAILURE() << "no file " << name;
    return "";
  }
  return std::string(it->second.begin(), it->second.end());
}

// gtest helpers for Status / Result.
#define TFQ_ASSERT_OK(expr)                                                  \
  do {                                                                       \
    const auto& tfq_s_ = (expr);                                             \
    ASSERT_TRUE(tfq_s_.ok()) << ::tfq::testing::StatusText(tfq_s_);          \
  } while (0)
#define TFQ_EXPECT_OK(expr)                                                  \
  do {                                                                       \
    const auto& tfq_s_ = (expr);                                             \
    EXPECT_TRUE(tfq_s_.ok()) << ::tfq::testing::StatusText(tfq_s_);          \
  } while (0)

inline std::string StatusText(const Status& s) {
  return std::string(StatusCodeName(s.code())) + ": " + s.message();
}
template <typename T>
std::string StatusText(const Result<T>& r) {
  return StatusText(r.status());
}

// Checks that `r` failed with `code` and that its message contains every
// fragment of `parts`.
template <typename T>
void ExpectError(const Result<T>& r, StatusCode code, std::initializer_list<std::string_view> parts) {
  ASSERT_FALSE(r.ok()) << "expected " << StatusCodeName(code) << " error";
  EXPECT_EQ(r.status().code(), code) << StatusText(r);
  for (auto p : parts) EXPECT_NE(r.status().message().find(p), std::string::npos) << "missing '" << p << "' in: " << r.status().message();
}


}  // namespace tfq::testing
