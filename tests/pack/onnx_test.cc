// SPDX-License-Identifier: Apache-2.0
// The ONNX reader against files written by the onnx package
// (tests/pack/make_onnx.py) and against hostile protobufs built here.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "pack/fixtures.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

namespace tfq {
namespace {

namespace fs = std::filesystem;
using pack_test::Slurp;

// The fixtures, written by the real onnx package once per build (fixtures.h).
class OnnxFixtures : public pack_test::WriterTest {
 protected:
  OnnxFixtures() : WriterTest("make_onnx.py") {}

  Status Read(std::string_view path, std::vector<SourceTensor>* out, const Limits& limits = {}) {
    return ReadOnnx(*source_, path, limits, out);
  }
};

TEST_F(OnnxFixtures, ReadsRawDataAndTypedFields) {
  std::vector<SourceTensor> got;
  Status s = Read("model.onnx", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  pack_test::ExpectTensors(got, pack_test::LoadExpected(dir_));
  EXPECT_NE(got[0].origin.find("model.onnx"), std::string::npos) << got[0].origin;
  EXPECT_NE(got[0].origin.find("'conv.weight'"), std::string::npos) << got[0].origin;
  EXPECT_TRUE(got[16].shape.size() == 2 && got[16].num_elements == 0);  // raw.empty
  EXPECT_TRUE(got[15].shape.empty() && got[15].num_elements == 1);      // raw.scalar
}

TEST_F(OnnxFixtures, ReadsExternalDataBesideTheModel) {
  std::vector<SourceTensor> got;
  Status s = Read("ext/model.onnx", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  pack_test::ExpectTensors(got, pack_test::LoadExpected(dir_ / "ext"));
  EXPECT_NE(got[0].origin.find("weights.bin"), std::string::npos) << got[0].origin;
}

TEST_F(OnnxFixtures, RefusesExternalDataOutsideTheModelsFolder) {
  std::vector<SourceTensor> got;
  Status up = Read("ext/up.onnx", &got);
  EXPECT_EQ(up.code(), StatusCode::kUnsafePath) << up.message();
  EXPECT_NE(up.message().find("'../weights.bin' leaves the model's folder"), std::string::npos) << up.message();
  EXPECT_NE(up.message().find("'conv.weight'"), std::string::npos) << up.message();
  Status abs = Read("ext/abs.onnx", &got);
  EXPECT_EQ(abs.code(), StatusCode::kUnsafePath) << abs.message();
  EXPECT_NE(abs.message().find("'/etc/passwd' is absolute"), std::string::npos) << abs.message();
  EXPECT_TRUE(got.empty());
}

TEST_F(OnnxFixtures, RefusesMissingOrShortExternalData) {
  std::vector<SourceTensor> got;
  Status missing = Read("ext/missing.onnx", &got);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.message();
  EXPECT_NE(missing.message().find("nothere.bin"), std::string::npos) << missing.message();
  Status shrt = Read("ext/short.onnx", &got);
  EXPECT_EQ(shrt.code(), StatusCode::kFormatError) << shrt.message();
  EXPECT_NE(shrt.message().find("lie beyond the end of"), std::string::npos) << shrt.message();
}

TEST_F(OnnxFixtures, RefusesDimsThatDisagreeWithRawData) {
  std::vector<SourceTensor> got;
  Status s = Read("baddims.onnx", &got);
  EXPECT_EQ(s.code(), StatusCode::kFormatError) << s.message();
  EXPECT_NE(s.message().find("initializer 'bad': raw_data holds 24 bytes, but shape [2,4] of float32 needs 32 bytes"),
            std::string::npos)
      << s.message();
}

TEST_F(OnnxFixtures, RefusesStrings) {
  std::vector<SourceTensor> got;
  Status s = Read("string.onnx", &got);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.message();
  EXPECT_NE(s.message().find("'words' holds strings"), std::string::npos) << s.message();
}

TEST_F(OnnxFixtures, IgnoresSubgraphInitializers) {
  std::vector<SourceTensor> got;
  Status s = Read("subgraph.onnx", &got);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "outer.w");
}

// Every prefix of a real model either parses (a cut between top-level
// fields) or is a FormatError; the data of what parses is readable.
TEST_F(OnnxFixtures, TruncatedFilesFailCleanly) {
  const std::string whole = Slurp(dir_ / "model.onnx");
  size_t failed = 0;
  for (size_t n = 0; n < whole.size(); ++n) {
    MemoryFiles files;
    files.Put("m.onnx", whole.substr(0, n));
    std::vector<SourceTensor> got;
    Status s = ReadOnnx(files, "m.onnx", Limits{}, &got);
    if (!s.ok()) {
      ++failed;
      ASSERT_EQ(s.code(), StatusCode::kFormatError) << n << ": " << s.message();
      EXPECT_TRUE(got.empty());
      continue;
    }
    for (const auto& t : got) {
      std::vector<uint8_t> buf(t.byte_size());
      ASSERT_TRUE(t.bytes->ReadAt(0, buf).ok()) << n;
    }
  }
  EXPECT_GT(failed, whole.size() / 2);
  MemoryFiles files;
  files.Put("m.onnx", whole.substr(0, whole.size() / 2));
  std::vector<SourceTensor> got;
  Status s = ReadOnnx(files, "m.onnx", Limits{}, &got);
  EXPECT_EQ(s.code(), StatusCode::kFormatError);
  EXPECT_NE(s.message().find("remain in its message"), std::string::npos) << s.message();
}

// Random damage never crashes, and whatever still parses reads in bounds.
TEST_F(OnnxFixtures, DamagedFilesNeverCrash) {
  const std::string whole = Slurp(dir_ / "model.onnx");
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = whole;
    for (int k = 0; k < 1 + i % 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    MemoryFiles files;
    files.Put("m.onnx", bad);
    std::vector<SourceTensor> got;
    Status s = ReadOnnx(files, "m.onnx", Limits{}, &got);
    if (!s.ok()) continue;
    for (const auto& t : got) {
      std::vector<uint8_t> buf(t.byte_size());
      ASSERT_TRUE(t.bytes->ReadAt(0, buf).ok()) << i << " " << t.name;
    }
  }
}

// Hand-built protobufs.
std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) s += static_cast<char>((v & 0x7f) | 0x80), v >>= 7;
  s += static_cast<char>(v);
  return s;
}
std::string Tag(uint32_t field, int wire) { return Varint(uint64_t{field} << 3 | wire); }
std::string VarintField(uint32_t field, uint64_t v) { return Tag(field, 0) + Varint(v); }
std::string Len(uint32_t field, std::string_view payload) {
  return Tag(field, 2) + Varint(payload.size()) + std::string(payload);
}
std::string Packed(uint32_t field, std::initializer_list<uint64_t> vs) {
  std::string p;
  for (uint64_t v : vs) p += Varint(v);
  return Len(field, p);
}
std::string Floats(std::initializer_list<float> vs) {
  std::string s;
  for (float f : vs) s.append(reinterpret_cast<const char*>(&f), 4);
  return s;
}
std::string Tensor(std::string_view name, uint64_t type, std::initializer_list<uint64_t> dims, std::string rest) {
  return Packed(1, dims) + VarintField(2, type) + Len(8, name) + rest;
}
std::string ModelOf(std::initializer_list<std::string> tensors) {
  std::string graph = Len(2, "g");
  for (const auto& t : tensors) graph += Len(5, t);
  return VarintField(1, 8) + Len(7, graph);
}
std::string External(std::string_view key, std::string_view value) {
  return Len(13, Len(1, key) + Len(2, value));
}

struct Hostile : ::testing::Test {
  MemoryFiles files;
  Limits limits;
  std::vector<SourceTensor> got;
  Status Read(const std::string& model, std::string path = "m.onnx") {
    files.Put(path, model);
    got.clear();
    return ReadOnnx(files, path, limits, &got);
  }
  std::vector<uint8_t> Bytes(size_t i) {
    std::vector<uint8_t> b(got.at(i).byte_size());
    EXPECT_TRUE(got[i].bytes->ReadAt(0, b).ok());
    return b;
  }
};

#define EXPECT_STATUS(s, code_, phrase)                                               \
  do {                                                                                \
    Status st_ = (s);                                                                 \
    EXPECT_EQ(st_.code(), StatusCode::code_) << st_.message();                        \
    EXPECT_NE(st_.message().find(phrase), std::string::npos) << st_.message();       \
  } while (0)

TEST_F(Hostile, StructureErrors) {
  EXPECT_STATUS(Read(""), kFormatError, "holds no graph");
  EXPECT_STATUS(Read(Tag(7, 2) + Varint(1000) + "abc"), kFormatError, "claims 1000 bytes, but only 3 remain");
  EXPECT_STATUS(Read(Tag(7, 2) + Varint(uint64_t{1} << 62)), kFormatError, "claims");
  EXPECT_STATUS(Read(Tag(5, 3) + Tag(5, 4)), kFormatError, "group");
  EXPECT_STATUS(Read(Tag(3, 6)), kFormatError, "invalid wire type 6");
  EXPECT_STATUS(Read(std::string("\x08") + std::string(10, '\xff') + "\x01"), kFormatError, "longer than 64 bits");
  EXPECT_STATUS(Read(std::string("\x08\xff")), kFormatError, "runs past the end");
  EXPECT_STATUS(Read(VarintField(7, 3)), kFormatError, "ModelProto.graph) has wire type varint");
  EXPECT_STATUS(Read(std::string("\x00\x01", 2)), kFormatError, "field number 0");
  // A length that fits the file but not the enclosing message.
  EXPECT_STATUS(Read(Len(7, Tag(5, 2) + Varint(50)) + std::string(60, '\0')), kFormatError, "remain in its message");
}

TEST_F(Hostile, ShapesAndCountsCheckedBeforeAllocating) {
  const uint64_t big = uint64_t{1} << 40;
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 1, {big, big}, Len(9, "abcd"))})), kLimitExceeded, "tensor_elements");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 1, {static_cast<uint64_t>(-2)}, Len(9, ""))})), kFormatError,
                "negative dimension -2");
  std::string dims;
  for (int i = 0; i < 40; ++i) dims += VarintField(1, 1);
  EXPECT_STATUS(Read(ModelOf({dims + VarintField(2, 1) + Len(8, "w")})), kLimitExceeded, "rank");
  // 2^30 int8 values claimed by 3 bytes of int32_data.
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 3, {uint64_t{1} << 30}, Packed(5, {1, 2, 3}))})), kFormatError,
                "int32_data holds at most 3 values, but shape [1073741824] needs 1073741824");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 7, {3}, Packed(7, {300, 2}))})), kFormatError,
                "int64_data holds 2 values, but shape [3] needs 3");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 7, {1}, Packed(7, {1, 2}))})), kFormatError, "int64_data holds 2 values");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 1, {2}, Len(4, Floats({1})))})), kFormatError, "float_data holds 1 values");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 1, {1}, Len(4, "abc"))})), kFormatError, "not a whole number of 4-byte");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 1, {2}, "")})), kFormatError, "but no values");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 3, {2}, Packed(5, {1, 300}))})), kFormatError, "300 does not fit int8");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 9, {1}, Packed(5, {2}))})), kFormatError, "2 does not fit bool");
  EXPECT_STATUS(Read(ModelOf({Tensor("w", 12, {1}, Packed(11, {uint64_t{1} << 32}))})), kFormatError,
                "does not fit uint32");
  limits.weights = 1;
  EXPECT_STATUS(Read(ModelOf({Tensor("a", 1, {}, Len(9, "abcd")), Tensor("b", 1, {}, Len(9, "abcd"))})),
                kLimitExceeded, "weights");
  limits = Limits{};
  limits.json_bytes = 8;
  EXPECT_STATUS(Read(ModelOf({Tensor("a-very-long-name", 1, {}, Len(9, "abcd"))})), kLimitExceeded, "json_bytes");
}

TEST_F(Hostile, RefusedContent) {
  EXPECT_STATUS(Read(ModelOf({Tensor("a", 1, {}, Len(9, "abcd")), Tensor("a", 1, {}, Len(9, "abcd"))})),
                kFormatError, "initializer 'a' appears twice");
  EXPECT_STATUS(Read(ModelOf({Packed(1, {1}) + VarintField(2, 1) + Len(9, "abcd")})), kFormatError, "no name");
  EXPECT_STATUS(Read(ModelOf({Tensor("c", 14, {1}, Len(9, "abcdefgh"))})), kUnsupported, "COMPLEX64 (14)");
  EXPECT_STATUS(Read(ModelOf({Tensor("f8", 17, {1}, Len(9, "a"))})), kUnsupported, "'f8' is FLOAT8E4M3FN (17)");
  EXPECT_STATUS(Read(ModelOf({Tensor("x", 99, {1}, Len(9, "a"))})), kUnsupported, "data type 99");
  EXPECT_STATUS(Read(ModelOf({Tensor("u", 0, {1}, Len(9, "a"))})), kFormatError, "no data type");
  EXPECT_STATUS(Read(ModelOf({Tensor("s", 1, {1}, Len(3, VarintField(1, 0)) + Len(9, "abcd"))})), kUnsupported,
                "segment");
  EXPECT_STATUS(Read(ModelOf({Tensor("m", 7, {1}, Len(4, Floats({1})))})), kFormatError,
                "'m' is INT64 (7) but holds float_data (expected int64_data or raw_data)");
  EXPECT_STATUS(Read(ModelOf({Tensor("m", 1, {1}, Len(4, Floats({1})) + Len(9, "abcd"))})), kFormatError,
                "more than once");
  EXPECT_STATUS(Read(ModelOf({Tensor("m", 1, {1}, Len(6, "x"))})), kFormatError, "string_data");
  std::string sparse = VarintField(1, 8) + Len(7, Len(15, Len(1, Tensor("v", 1, {1}, Len(9, "abcd")))));
  EXPECT_STATUS(Read(sparse), kUnsupported, "sparse initializer");
}

TEST_F(Hostile, TypedFieldsInAnyLayout) {
  // float_data split into two packed runs and one unpacked element; dims
  // and int64_data unpacked; float16 bit patterns as int16 or uint16.
  const std::string split =
      Tensor("f", 1, {3}, Len(4, Floats({1.5f})) + Tag(4, 5) + Floats({-2.0f}) + Len(4, Floats({4.0f})));
  const std::string unpacked = VarintField(1, 2) + VarintField(2, 7) + Len(8, "i") + VarintField(7, 5) +
                               VarintField(7, static_cast<uint64_t>(-6));
  const std::string half = Tensor("h", 10, {2}, Packed(5, {0x3c00, static_cast<uint64_t>(-16384)}));
  const std::string one_run = Tensor("g", 1, {2}, Len(4, Floats({0.25f, 8.0f})));
  ASSERT_TRUE(Read(ModelOf({split, unpacked, half, one_run})).ok());
  ASSERT_EQ(got.size(), 4u);
  const std::string f = Floats({1.5f, -2.0f, 4.0f});
  EXPECT_EQ(Bytes(0), std::vector<uint8_t>(f.begin(), f.end()));
  EXPECT_EQ(got[1].shape, std::vector<int64_t>{2});
  EXPECT_EQ(Bytes(1), (std::vector<uint8_t>{5, 0, 0, 0, 0, 0, 0, 0, 0xfa, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(Bytes(2), (std::vector<uint8_t>{0x00, 0x3c, 0x00, 0xc0}));
  const std::string g = Floats({0.25f, 8.0f});
  EXPECT_EQ(Bytes(3), std::vector<uint8_t>(g.begin(), g.end()));
}

TEST_F(Hostile, ExternalDataInMemory) {
  files.Put("m/w.bin", std::string("0123456789abcdef"));
  files.Put("w.bin", std::string(16, 'x'));
  auto ext = [](std::string loc, std::string extra) {
    return ModelOf({Tensor("e", 1, {2}, External("location", loc) + extra + VarintField(14, 1))});
  };
  ASSERT_TRUE(Read(ext("w.bin", External("offset", "4") + External("length", "8")), "m/model.onnx").ok());
  EXPECT_EQ(Bytes(0), std::vector<uint8_t>({'4', '5', '6', '7', '8', '9', 'a', 'b'}));
  ASSERT_TRUE(Read(ext("./sub/../w.bin", External("offset", "8")), "m/model.onnx").ok());
  EXPECT_EQ(Bytes(0), std::vector<uint8_t>({'8', '9', 'a', 'b', 'c', 'd', 'e', 'f'}));
  EXPECT_STATUS(Read(ext("sub/../../w.bin", ""), "m/model.onnx"), kUnsafePath, "leaves the model's folder");
  EXPECT_STATUS(Read(ext("C:\\w.bin", ""), "m/model.onnx"), kUnsafePath, "external data location");
  EXPECT_STATUS(Read(ext("w.bin", External("offset", "12x")), "m/model.onnx"), kFormatError, "'12x'");
  EXPECT_STATUS(Read(ext("w.bin", External("offset", "20")), "m/model.onnx"), kFormatError, "offset 20 lies beyond");
  EXPECT_STATUS(Read(ext("w.bin", External("offset", "12") + External("length", "8")), "m/model.onnx"), kFormatError,
                "lie beyond the end");
  EXPECT_STATUS(Read(ext("w.bin", External("offset", "99999999999999999999")), "m/model.onnx"), kFormatError,
                "not a decimal byte offset");
  EXPECT_STATUS(Read(ext("w.bin", External("length", "4")), "m/model.onnx"), kFormatError,
                "holds 4 bytes, but shape [2] of float32 needs 8 bytes");
  EXPECT_STATUS(Read(ext("w.bin", External("location", "w.bin")), "m/model.onnx"), kFormatError, "twice");
  EXPECT_STATUS(Read(ModelOf({Tensor("e", 1, {2}, VarintField(14, 1))})), kFormatError, "no \"location\"");
  EXPECT_STATUS(Read(ext("w.bin", Len(9, "abcdefgh")), "m/model.onnx"), kFormatError, "more than once");
  EXPECT_STATUS(Read(ModelOf({Tensor("e", 1, {2}, VarintField(14, 2))})), kFormatError, "data_location 2");
  EXPECT_STATUS(Read(ext("nothere.bin", "")), kNotFound, "nothere.bin");
}

}  // namespace
}  // namespace tfq
