// SPDX-License-Identifier: Apache-2.0
// Opening models held in memory: every way a model.json, a standalone
// manifest or its shards can be wrong, each checked for its StatusCode and
// for the parts of the message a user needs (file, JSON location, weight
// name, expected vs found); and the layout of valid models (strings walked by
// their length prefixes, zero-size tensors, scalars, several groups, reads
// across shard boundaries).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "testutil.h"
#include "tfjs_quant/model.h"

namespace tfq {
namespace {

using testing::BitsHex;
using testing::EntryJson;
using testing::ExpectError;
using testing::F32LE;
using testing::Float32Weight;
using testing::Hex;
using testing::StatusText;
using testing::TestGroup;
using testing::Unhex;


// model.json around a manifest given as text, with shard files given by name.
Result<Model> OpenWith(MemoryFiles& files, std::string_view manifest) {
  files.Put("model.json", testing::ModelJsonAround(manifest));
  return Model::Open(files, "model.json");
}

const char* kTwoWeights =
    R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "a", "shape": [2], "dtype": "float32"}, )"
    R"({"name": "b", "shape": [1], "dtype": "float32"}]}])";

TEST(ModelOpen, ValidModelLayout) {
  MemoryFiles files;
  files.Put("group1-shard1of1.bin", F32LE({1, 2, 3}));
  auto m = OpenWith(files, kTwoWeights);
  TFQ_ASSERT_OK(m);
  EXPECT_EQ(m->file().kind, ModelKind::kModelJson);
  EXPECT_EQ(m->file().format, "layers-model");
  EXPECT_EQ(m->file().file_name, "model.json");
  ASSERT_EQ(m->tensors().size(), 2u);
  EXPECT_EQ(m->entry(m->tensors()[1]).name, "b");
  EXPECT_EQ(m->entry(m->tensors()[1]).location, "weightsManifest[0].weights[1]");
  EXPECT_EQ(m->tensors()[1].offset, 8u);
  EXPECT_EQ(m->tensors()[1].byte_size, 4u);
  EXPECT_EQ(m->total_bytes(), 12u);
  // The manifest span is exactly the manifest text.
  const auto& f = m->file();
  EXPECT_EQ(f.text.substr(f.manifest_begin, f.manifest_end - f.manifest_begin), kTwoWeights);
}

TEST(ModelOpen, MissingShard) {
  MemoryFiles files;
  auto m = OpenWith(files, kTwoWeights);
  ExpectError(m, StatusCode::kNotFound,
              {"model.json", "weightsManifest[0].paths[0]", "group1-shard1of1.bin", "cannot be read"});
}

TEST(ModelOpen, MissingModelJson) {
  MemoryFiles files;
  auto m = Model::Open(files, "model.json");
  ExpectError(m, StatusCode::kNotFound, {"model.json"});
}

TEST(ModelOpen, ShortShard) {
  MemoryFiles files;
  files.Put("group1-shard1of1.bin", F32LE({1, 2}));  // 8 of 12 bytes
  auto m = OpenWith(files, kTwoWeights);
  ExpectError(m, StatusCode::kFormatError,
              {"model.json", "weightsManifest[0]", "group1-shard1of1.bin", "8 bytes", "'b'",
               "weightsManifest[0].weights[1]", "8 to 12"});
}

TEST(ModelOpen, LongShard) {
  MemoryFiles files;
  files.Put("group1-shard1of1.bin", F32LE({1, 2, 3, 4}));  // 16 of 12 bytes
  auto m = OpenWith(files, kTwoWeights);
  ExpectError(m, StatusCode::kFormatError,
              {"model.json", "weightsManifest[0]", "describes 12 bytes", "hold 16 bytes", "4 bytes too many"});
}

TEST(ModelOpen, ByteCountOffByOneAcrossShards) {
  // Two shards that together hold 13 bytes for a 12-byte manifest.
  MemoryFiles files;
  files.Put("s1.bin", F32LE({1, 2}));
  files.Put("s2.bin", F32LE({3}) + "x");
  auto m = OpenWith(files, R"([{"paths": ["s1.bin", "s2.bin"], "weights": [{"name": "a", "shape": [3], "dtype": "float32"}]}])");
  ExpectError(m, StatusCode::kFormatError, {"describes 12 bytes", "hold 13 bytes", "1 byte too many"});
  // And one shard missing from "paths": 8 of 12 bytes.
  auto m2 = OpenWith(files, R"([{"paths": ["s1.bin"], "weights": [{"name": "a", "shape": [3], "dtype": "float32"}]}])");
  ExpectError(m2, StatusCode::kFormatError, {"s1.bin", "hold 8 bytes", "'a'", "0 to 12"});
}

TEST(ModelOpen, GroupWithWeightsButNoPaths) {
  MemoryFiles files;
  auto m = OpenWith(files, R"([{"paths": [], "weights": [{"name": "a", "shape": [1], "dtype": "float32"}]}])");
  ExpectError(m, StatusCode::kFormatError, {"weightsManifest[0]", "no shard", "0 bytes", "'a'"});
}

TEST(ModelOpen, UnknownDType) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1, 2}));
  auto m = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "shape": [1], "dtype": "float32"}, )"
                           R"({"name": "w64", "shape": [1], "dtype": "float64"}]}])");
  ExpectError(m, StatusCode::kUnsupported,
              {"model.json", "weightsManifest[0].weights[1].dtype", "'w64'", "\"float64\"", "float32, int32, bool"});
}

TEST(ModelOpen, UnknownQuantizationDType) {
  MemoryFiles files;
  files.Put("g.bin", "\x01");
  auto m = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32", )"
                           R"("quantization": {"dtype": "int8", "min": 0, "scale": 1}}]}])");
  ExpectError(m, StatusCode::kUnsupported,
              {"weightsManifest[0].weights[0].quantization.dtype", "'w'", "\"int8\"", "uint8", "uint16", "float16"});
}

TEST(ModelOpen, MissingMinOrScale) {
  MemoryFiles files;
  files.Put("g.bin", "\x01");
  auto no_min = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32", )"
                                R"("quantization": {"dtype": "uint8", "scale": 1.0}}]}])");
  ExpectError(no_min, StatusCode::kFormatError,
              {"weightsManifest[0].weights[0].quantization", "'w'", "uint8", "\"min\""});
  auto no_scale = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], )"
                                  R"("dtype": "float32", "quantization": {"dtype": "uint8", "min": 1.0}}]}])");
  ExpectError(no_scale, StatusCode::kFormatError, {"'w'", "\"scale\""});
}

TEST(ModelOpen, MinNotANumber) {
  MemoryFiles files;
  files.Put("g.bin", "\x01");
  auto m = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32", )"
                           R"("quantization": {"dtype": "uint8", "min": "0", "scale": 1.0}}]}])");
  ExpectError(m, StatusCode::kFormatError,
              {"weightsManifest[0].weights[0].quantization.min", "finite number", "the string \"0\""});
  auto n = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32", )"
                           R"("quantization": {"dtype": "uint8", "min": 0.0, "scale": null}}]}])");
  ExpectError(n, StatusCode::kFormatError, {"quantization.scale", "null"});
}

TEST(ModelOpen, NaNMinIsMalformedJson) {
  // What the converter writes for a tensor holding NaN: not JSON at all.
  MemoryFiles files;
  files.Put("g.bin", "\x01");
  files.Put("model.json", "{\"format\": \"graph-model\",\n \"weightsManifest\": [{\"paths\": [\"g.bin\"], \"weights\": "
                          "[{\"name\": \"w\", \"shape\": [1], \"dtype\": \"float32\", \"quantization\": "
                          "{\"dtype\": \"uint8\", \"min\": NaN, \"scale\": NaN}}]}]}");
  auto m = Model::Open(files, "model.json");
  ExpectError(m, StatusCode::kParseError, {"model.json", "line 2, column "});
}

TEST(ModelOpen, InfiniteMinIsRejectedWithALocation) {
  // 1e999 is valid JSON syntax that no double holds (JS reads Infinity).
  MemoryFiles files;
  files.Put("g.bin", "\x01");
  files.Put("model.json", "{\"format\": \"graph-model\",\n \"weightsManifest\": [{\"paths\": [\"g.bin\"], \"weights\": "
                          "[{\"name\": \"w\", \"shape\": [1], \"dtype\": \"float32\", \"quantization\": "
                          "{\"dtype\": \"uint8\", \"min\": -1e999, \"scale\": 1.0}}]}]}");
  auto m = Model::Open(files, "model.json");
  ASSERT_FALSE(m.ok());
  const std::string& msg = m.status().message();
  EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
  if (m.status().code() == StatusCode::kParseError) {
    EXPECT_NE(msg.find("model.json: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 2, column "), std::string::npos) << msg;
  } else {
    EXPECT_EQ(m.status().code(), StatusCode::kFormatError) << msg;
    EXPECT_NE(msg.find("weightsManifest[0].weights[0].quantization.min"), std::string::npos) << msg;
  }
}

TEST(ModelOpen, QuantizationNull) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  auto m = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32", )"
                           R"("quantization": null}]}])");
  ExpectError(m, StatusCode::kFormatError, {"weightsManifest[0].weights[0].quantization", "null", "omit the key"});
}

TEST(ModelOpen, QuantizedNonFloatDTypes) {
  MemoryFiles files;
  files.Put("g.bin", "\x01\x00");
  auto b = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "flag", "shape": [1], "dtype": "bool", )"
                           R"("quantization": {"dtype": "uint8", "min": 0.0, "scale": 1.0}}]}])");
  ExpectError(b, StatusCode::kUnsupported, {"'flag'", "bool"});
  auto i = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "ix", "shape": [1], "dtype": "int32", )"
                           R"("quantization": {"dtype": "float16"}}]}])");
  ExpectError(i, StatusCode::kUnsupported, {"'ix'", "float16", "int32"});
}

TEST(ModelOpen, DuplicateWeightNames) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1, 2}));
  auto same = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}, )"
                              R"({"name": "w", "shape": [1], "dtype": "float32"}]}])");
  ExpectError(same, StatusCode::kFormatError,
              {"weightsManifest[0].weights[1]", "duplicate weight name 'w'", "weightsManifest[0].weights[0]"});
  files.Put("h.bin", F32LE({3}));
  auto across = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "v", "shape": [1], "dtype": "float32"}, )"
                                R"({"name": "w", "shape": [1], "dtype": "float32"}]}, {"paths": ["h.bin"], "weights": )"
                                R"([{"name": "w", "shape": [1], "dtype": "float32"}]}])");
  ExpectError(across, StatusCode::kFormatError,
              {"weightsManifest[1].weights[0]", "duplicate weight name 'w'", "weightsManifest[0].weights[1]"});
}

TEST(ModelOpen, MalformedJsonHasLineAndColumn) {
  MemoryFiles files;
  files.Put("model.json", "{\n  \"format\": \"layers-model\",\n  \"weightsManifest\": [\n    {\"paths\": [] \"weights\": []}\n  ]\n}");
  auto m = Model::Open(files, "model.json");
  ExpectError(m, StatusCode::kParseError, {"model.json", "line 4, column "});
}

TEST(ModelOpen, ShapeErrorsNameTheLocation) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  auto neg = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "shape": [1], "dtype": "float32"}, )"
                             R"({"name": "b", "shape": [-1], "dtype": "float32"}]}])");
  ExpectError(neg, StatusCode::kFormatError,
              {"model.json", "weightsManifest[0].weights[1].shape[0]", "non-negative integer", "-1"});
  auto flt = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "shape": [1.5], "dtype": "float32"}]}])");
  ExpectError(flt, StatusCode::kFormatError, {"weightsManifest[0].weights[0].shape[0]", "1.5"});
  auto str = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "shape": "1", "dtype": "float32"}]}])");
  ExpectError(str, StatusCode::kFormatError, {"weightsManifest[0].weights[0].shape", "the string \"1\""});
  auto none = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "dtype": "float32"}]}])");
  ExpectError(none, StatusCode::kFormatError, {"weightsManifest[0].weights[0]", "'a'", "\"shape\""});
  auto huge = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "shape": [4294967296, 4294967296], )"
                              R"("dtype": "float32"}]}])");
  ExpectError(huge, StatusCode::kLimitExceeded,
              {"weightsManifest[0].weights[0].shape", "'a'", "at least 2^64 elements", "tensor_elements"});
  auto dim = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "a", "shape": [0, 9223372036854775808], )"
                             R"("dtype": "float32"}]}])");
  ExpectError(dim, StatusCode::kFormatError, {"weightsManifest[0].weights[0].shape[1]", "9223372036854775808", "2^53"});
}

TEST(ModelOpen, StructureErrors) {
  MemoryFiles files;
  files.Put("model.json", R"({"format": "graph-model", "modelTopology": {}})");
  ExpectError(Model::Open(files, "model.json"), StatusCode::kFormatError, {"model.json", "weightsManifest"});
  files.Put("model.json", R"("just a string")");
  ExpectError(Model::Open(files, "model.json"), StatusCode::kFormatError, {"model.json", "top level"});
  ExpectError(OpenWith(files, R"({"paths": []})"), StatusCode::kFormatError,
              {"weightsManifest", "list of weight groups", "an object"});
  ExpectError(OpenWith(files, R"([{"weights": []}])"), StatusCode::kFormatError, {"weightsManifest[0].paths"});
  ExpectError(OpenWith(files, R"([{"paths": [3], "weights": []}])"), StatusCode::kFormatError,
              {"weightsManifest[0].paths[0]", "the number 3"});
  ExpectError(OpenWith(files, R"([{"paths": []}])"), StatusCode::kFormatError, {"weightsManifest[0].weights"});
  ExpectError(OpenWith(files, R"([{"paths": [], "weights": [{"shape": [], "dtype": "float32"}]}])"),
              StatusCode::kFormatError, {"weightsManifest[0].weights[0].name"});
  ExpectError(OpenWith(files, R"([{"paths": [], "weights": [{"name": "n", "shape": []}]}])"), StatusCode::kFormatError,
              {"weightsManifest[0].weights[0].dtype", "'n'"});
}

TEST(ModelOpen, UnsafeShardPaths) {
  // Each path as it appears inside the JSON string literal.
  for (const char* p : {"../x.bin", "/abs.bin", "a/../../x.bin", "..\\\\x.bin", "C:/x.bin",
                        "\\\\\\\\server\\\\x.bin", "", "./.."}) {
    SCOPED_TRACE(p);
    MemoryFiles files;
    files.Put("x.bin", F32LE({1}));
    auto m = OpenWith(files, std::string(R"([{"paths": [")") + p +
                                 R"("], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]}])");
    ExpectError(m, StatusCode::kUnsafePath, {"model.json", "weightsManifest[0].paths[0]"});
  }
}

TEST(ModelOpen, RelativePathsThatStayInsideAreNormalized) {
  MemoryFiles files;
  files.Put("x.bin", F32LE({1}));
  files.Put("sub/y.bin", F32LE({2}));
  auto m = OpenWith(files, R"([{"paths": ["./a/../x.bin", "sub//./y.bin"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}])");
  TFQ_ASSERT_OK(m);
  std::vector<float> v;
  TFQ_ASSERT_OK(m->DecodeFloat32(m->tensors()[0], &v));
  EXPECT_EQ(v, (std::vector<float>{1, 2}));
  // The manifest keeps the paths as written.
  EXPECT_EQ(m->file().groups[0].paths[0], "./a/../x.bin");
}

TEST(CheckRelativePath, Normalizes) {
  auto ok = CheckRelativePath("a/./b/../c.bin");
  TFQ_ASSERT_OK(ok);
  EXPECT_EQ(*ok, "a/c.bin");
  EXPECT_EQ(CheckRelativePath("a/../../x.bin").status().code(), StatusCode::kUnsafePath);
  EXPECT_NE(CheckRelativePath("a/../../x.bin").status().message().find("leaves the model's folder"), std::string::npos);
  EXPECT_NE(CheckRelativePath("/abs.bin").status().message().find("absolute"), std::string::npos);
  EXPECT_EQ(CheckRelativePath(".").status().code(), StatusCode::kUnsafePath);
  EXPECT_EQ(CheckRelativePath(std::string("a\0b", 3)).status().code(), StatusCode::kUnsafePath);
}

// Strings are sized by walking their uint32 length prefixes (spec 2, 7 G).
TEST(ModelOpen, StringTensorsWalkLengthPrefixes) {
  MemoryFiles files;
  TestGroup g;
  g.weights = {
      {EntryJson("s", "[2]", "string"), testing::StringsLE({"ab", ""})},
      {EntryJson("t", "[3]", "string"), testing::StringsLE({"hello", "\xc3\xa9", "xyz"})},
      {EntryJson("empty", "[0]", "string"), ""},
      Float32Weight("f", "[1]", {7}),
  };
  g.shard_size = 7;  // prefixes straddle shard boundaries
  testing::PutModel(files, {g});
  auto m = Model::Open(files, "model.json");
  TFQ_ASSERT_OK(m);
  ASSERT_EQ(m->tensors().size(), 4u);
  EXPECT_EQ(m->tensors()[0].byte_size, 10u);
  EXPECT_EQ(m->tensors()[1].offset, 10u);
  EXPECT_EQ(m->tensors()[1].byte_size, 12u + 5 + 2 + 3);
  EXPECT_EQ(m->tensors()[2].byte_size, 0u);
  EXPECT_EQ(m->tensors()[3].offset, 32u);
  std::vector<uint8_t> b;
  TFQ_ASSERT_OK(m->ReadStored(m->tensors()[1], &b));
  EXPECT_EQ(Hex(b), Hex(testing::StringsLE({"hello", "\xc3\xa9", "xyz"})));
  std::vector<float> f;
  TFQ_ASSERT_OK(m->DecodeFloat32(m->tensors()[3], &f));
  EXPECT_EQ(f, std::vector<float>{7});
}

TEST(ModelOpen, StringLengthPastTheEnd) {
  MemoryFiles files;
  files.Put("g.bin", Unhex("02000000 6162 ff000000 61"));  // second string claims 255 bytes
  auto m = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "s", "shape": [2], "dtype": "string"}]}])");
  ExpectError(m, StatusCode::kFormatError, {"weightsManifest[0]", "g.bin", "11 bytes", "'s'"});
  // A prefix itself cut off.
  files.Put("g.bin", Unhex("02000000 6162 0100"));
  auto m2 = OpenWith(files, R"([{"paths": ["g.bin"], "weights": [{"name": "s", "shape": [2], "dtype": "string"}]}])");
  ExpectError(m2, StatusCode::kFormatError, {"8 bytes", "'s'"});
}

TEST(ModelOpen, ZeroElementTensorsAndScalars) {
  MemoryFiles files;
  TestGroup g;
  g.weights = {
      {EntryJson("z", "[0]", "float32"), ""},
      {EntryJson("z2", "[3, 0, 2]", "int32"), ""},
      {EntryJson("zq", "[0]", "float32", R"({"dtype": "uint8", "min": 0.0, "scale": 1.0})"), ""},
      Float32Weight("scalar", "[]", {2.5f}),
      {EntryJson("bscalar", "[]", "bool"), std::string("\x01", 1)},
      {EntryJson("c", "[1]", "complex64"), F32LE({1, 2})},
  };
  testing::PutModel(files, {g});
  auto m = Model::Open(files, "model.json");
  TFQ_ASSERT_OK(m);
  const auto& t = m->tensors();
  ASSERT_EQ(t.size(), 6u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t[i].byte_size, 0u) << i;
    EXPECT_EQ(m->entry(t[i]).num_elements, 0u) << i;
  }
  EXPECT_EQ(m->entry(t[3]).num_elements, 1u);
  EXPECT_TRUE(m->entry(t[3]).shape.empty());
  EXPECT_EQ(t[3].byte_size, 4u);
  EXPECT_EQ(t[4].byte_size, 1u);
  EXPECT_EQ(t[5].byte_size, 8u);
  EXPECT_EQ(m->total_bytes(), 13u);
  std::vector<float> v = {9};
  TFQ_ASSERT_OK(m->DecodeFloat32(t[0], &v));
  EXPECT_TRUE(v.empty());
  TFQ_ASSERT_OK(m->DecodeFloat32(t[3], &v));
  EXPECT_EQ(v, std::vector<float>{2.5f});
}

TEST(ModelOpen, EmptyModel) {
  MemoryFiles files;
  auto m = OpenWith(files, "[]");
  TFQ_ASSERT_OK(m);
  EXPECT_TRUE(m->tensors().empty());
  auto e = OpenWith(files, R"([{"paths": [], "weights": []}])");
  TFQ_ASSERT_OK(e);
  EXPECT_EQ(e->total_bytes(), 0u);
}

TEST(ModelOpen, StandaloneManifest) {
  MemoryFiles files;
  TestGroup g1, g2;
  g1.weights = {Float32Weight("a", "[2]", {1, 2})};
  g2.weights = {Float32Weight("b", "[1]", {3})};
  std::string name = testing::PutModel(files, {g1, g2}, /*standalone=*/true);
  EXPECT_EQ(name, "weights_manifest.json");
  auto m = Model::Open(files, name);
  TFQ_ASSERT_OK(m);
  EXPECT_EQ(m->file().kind, ModelKind::kStandaloneManifest);
  EXPECT_EQ(m->file().format, "");
  ASSERT_EQ(m->tensors().size(), 2u);
  EXPECT_EQ(m->tensors()[1].group, 1u);
  EXPECT_EQ(m->entry(m->tensors()[1]).location, "[1].weights[0]");
  const auto& f = m->file();
  EXPECT_EQ(f.manifest_begin, 0u);
  EXPECT_EQ(f.manifest_end, f.text.size());

  // Errors in a standalone manifest name the file and the list index.
  files.Put("weights_manifest.json", R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "a", "shape": [2], "dtype": "float8"}]}])");
  ExpectError(Model::Open(files, "weights_manifest.json"), StatusCode::kUnsupported,
              {"weights_manifest.json", "[0].weights[0].dtype", "'a'"});
  files.Put("weights_manifest.json", R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "a", "shape": [3], "dtype": "float32"}]}])");
  ExpectError(Model::Open(files, "weights_manifest.json"), StatusCode::kFormatError,
              {"weights_manifest.json", "[0]", "'a'", "8 bytes"});
}

TEST(ModelOpen, SeveralGroups) {
  MemoryFiles files;
  TestGroup g1, g2, g3;
  g1.weights = {Float32Weight("a", "[2]", {1, 2}), Float32Weight("b", "[1]", {3})};
  g2.weights = {};
  g3.weights = {{EntryJson("i", "[2]", "int32"), testing::I32LE({-1, 5})}, Float32Weight("c", "[3]", {4, 5, 6})};
  g3.shard_size = 8;
  testing::PutModel(files, {g1, g2, g3});
  auto m = Model::Open(files, "model.json");
  TFQ_ASSERT_OK(m);
  ASSERT_EQ(m->file().groups.size(), 3u);
  EXPECT_TRUE(m->file().groups[1].paths.empty());
  EXPECT_EQ(m->file().groups[2].paths,
            (std::vector<std::string>{"group3-shard1of3.bin", "group3-shard2of3.bin", "group3-shard3of3.bin"}));
  const auto& t = m->tensors();
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[2].group, 2u);
  EXPECT_EQ(t[2].index, 0u);
  EXPECT_EQ(t[2].offset, 0u);  // offsets restart in each group
  EXPECT_EQ(t[3].offset, 8u);
  EXPECT_EQ(m->entry(t[3]).location, "weightsManifest[2].weights[1]");
  EXPECT_EQ(m->total_bytes(), 12u + 20u);
  std::vector<float> c;
  TFQ_ASSERT_OK(m->DecodeFloat32(t[3], &c));
  EXPECT_EQ(c, (std::vector<float>{4, 5, 6}));
}

TEST(ModelOpen, ReadStoredAcrossShardBoundaries) {
  MemoryFiles files;
  TestGroup g;
  g.weights = {Float32Weight("a", "[1]", {1}), Float32Weight("b", "[4]", {2, 3, 4, 5}), Float32Weight("c", "[1]", {6})};
  g.shard_size = 3;  // 24 bytes in 8 shards; b spans shards 2..7
  testing::PutModel(files, {g});
  auto m = Model::Open(files, "model.json");
  TFQ_ASSERT_OK(m);
  EXPECT_EQ(m->file().groups[0].paths.size(), 8u);
  std::vector<uint8_t> b;
  TFQ_ASSERT_OK(m->ReadStored(m->tensors()[1], &b));
  EXPECT_EQ(Hex(b), Hex(F32LE({2, 3, 4, 5})));
  std::vector<float> v;
  TFQ_ASSERT_OK(m->DecodeFloat32(m->tensors()[2], &v));
  EXPECT_EQ(v, std::vector<float>{6});
  TFQ_ASSERT_OK(m->DecodeFloat32(m->tensors()[0], &v));
  EXPECT_EQ(v, std::vector<float>{1});
}

TEST(ModelOpen, DecodeFloat32OfQuantizedEntries) {
  MemoryFiles files;
  TestGroup g;
  g.weights = {
      // Spec 7 A as uint8 and A16 as uint16, and float16.
      {EntryJson("u8", "[5]", "float32",
                 R"({"dtype": "uint8", "min": -1.0007843354169061, "scale": 0.008627451167387121, "original_dtype": "float32"})"),
       Unhex("006874aeff")},
      {EntryJson("u16", "[5]", "float32",
                 R"({"dtype": "uint16", "min": -1.0000122288921982, "scale": 3.356984890033899e-05})"),
       Unhex("0000ba685d748baeffff")},
      {EntryJson("f16", "[3]", "float32", R"({"dtype": "float16", "original_dtype": "float32"})"),
       Unhex("003c00c0007c")},
      {EntryJson("i", "[1]", "int32"), testing::I32LE({3})},
  };
  g.shard_size = 4;
  testing::PutModel(files, {g});
  auto m = Model::Open(files, "model.json");
  TFQ_ASSERT_OK(m);
  const auto& t = m->tensors();
  EXPECT_EQ(t[0].byte_size, 5u);
  EXPECT_EQ(t[1].byte_size, 10u);
  EXPECT_EQ(t[2].byte_size, 6u);
  EXPECT_EQ(m->entry(t[0]).encoding(), Encoding::kUint8);
  EXPECT_EQ(m->entry(t[2]).encoding(), Encoding::kFloat16);
  std::vector<float> v;
  TFQ_ASSERT_OK(m->DecodeFloat32(t[0], &v));
  EXPECT_EQ(BitsHex(v), "bf8019b3 bdd4073b 00000000 3f0019b3 3f997fe7");
  TFQ_ASSERT_OK(m->DecodeFloat32(t[1], &v));
  EXPECT_EQ(BitsHex(v), "bf800067 bdcccf34 00000000 3efffe9a 3f999933");
  TFQ_ASSERT_OK(m->DecodeFloat32(t[2], &v));
  EXPECT_EQ(BitsHex(v), "3f800000 c0000000 7f800000");
  auto s = m->DecodeFloat32(t[3], &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'i'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s.message();
}

TEST(ModelOpen, EntryJsonKeptInPythonStyle) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  auto m = OpenWith(files, R"([{"paths":["g.bin"],"weights":[{"name":"w","shape":[1],"dtype":"float32","group":"optimizer"}]}])");
  TFQ_ASSERT_OK(m);
  EXPECT_EQ(EntryToJson(m->entry(m->tensors()[0])),
            R"({"name": "w", "shape": [1], "dtype": "float32", "group": "optimizer"})");
}

TEST(ModelOpen, Utf8BomBeforeModelJson) {
  // Browsers' fetch().json() strips a UTF-8 BOM, and our JSON parser accepts
  // it; the manifest must then also be found in the text.
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  files.Put("model.json", "\xEF\xBB\xBF" + testing::ModelJsonAround(
      R"([{"paths": ["g.bin"], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]}])"));
  auto m = Model::Open(files, "model.json");
  TFQ_ASSERT_OK(m);
  EXPECT_EQ(m->tensors().size(), 1u);
}

TEST(ModelOpen, DuplicateTopLevelManifestKey) {
  // JSON.parse keeps the last "weightsManifest"; whatever we do must agree
  // with it: either refuse the file or read the last one.
  MemoryFiles files;
  files.Put("a.bin", F32LE({1, 2}));
  files.Put("b.bin", F32LE({3, 4, 5, 6}));
  files.Put("model.json",
            R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}], )"
            R"("format": "layers-model", )"
            R"("weightsManifest": [{"paths": ["b.bin"], "weights": [{"name": "v", "shape": [4], "dtype": "float32"}]}]})");
  auto m = Model::Open(files, "model.json");
  if (!m.ok()) {
    EXPECT_EQ(m.status().code(), StatusCode::kFormatError) << m.status().message();
    return;
  }
  ASSERT_EQ(m->tensors().size(), 1u);
  EXPECT_EQ(m->entry(m->tensors()[0]).name, "v");
  const auto& f = m->file();
  EXPECT_EQ(f.text.substr(f.manifest_begin, f.manifest_end - f.manifest_begin),
            R"([{"paths": ["b.bin"], "weights": [{"name": "v", "shape": [4], "dtype": "float32"}]}])")
      << "the manifest span must be the last weightsManifest, the one parsers use";
}

}  // namespace
}  // namespace tfq
