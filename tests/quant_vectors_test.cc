// SPDX-License-Identifier: Apache-2.0
// Every worked vector of spec section 7, checked three ways: the quantizer
// kernels on plain memory, the manifest numbers as Python repr text, and a
// real WriteModel run whose model.json and shard bytes are compared with what
// tensorflowjs_converter writes. Decoding is checked bit for bit against the
// float32 patterns tfjs produces.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "json/json.h"
#include "testutil.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/writer.h"

namespace tfq {
namespace {

using testing::BitsHex;
using testing::FileText;
using testing::Hex;
using testing::Unhex;

struct AffineVector {
  const char* label;
  std::vector<float> x;
  const char* shape;
  Encoding enc;
  const char* min_repr;    // the manifest "min" exactly as the converter writes it
  const char* scale_repr;  // the manifest "scale"
  std::vector<uint32_t> q;         // numpy >= 2 (float64) codes
  std::vector<uint32_t> q_numpy1;  // numpy 1 (float32) codes
  const char* bytes_hex;           // shard payload, numpy >= 2
  const char* js_f32;              // float32 bits tfjs decodes from `q`
};

const std::vector<AffineVector>& Vectors() {
  static const std::vector<AffineVector> v = {
      {"A", {-1.0f, -0.1f, 0.0f, 0.5f, 1.2f}, "[5]", Encoding::kUint8, "-1.0007843354169061", "0.008627451167387121",
       {0, 104, 116, 174, 255}, {0, 104, 116, 174, 255}, "006874aeff",
       "bf8019b3 bdd4073b 00000000 3f0019b3 3f997fe7"},
      {"A16", {-1.0f, -0.1f, 0.0f, 0.5f, 1.2f}, "[5]", Encoding::kUint16, "-1.0000122288921982",
       "3.356984890033899e-05", {0, 26810, 29789, 44683, 65535}, {0, 26810, 29789, 44683, 65535},
       "0000ba685d748baeffff", "bf800067 bdcccf34 00000000 3efffe9a 3f999933"},
      {"A2", {0.0f, -0.1f, 1.2f}, "[3]", Encoding::kUint8, "-0.10196078817049663", "0.0050980394085248315",
       {20, 0, 255}, {20, 0, 255}, "1400ff", "00000000 bdd0d0d1 3f99595a"},
      {"B", {0.5f, 1.0f, 1.5f, 2.0f, 3.25f}, "[5]", Encoding::kUint8, "0.5", "0.010784313725490196",
       {0, 46, 93, 139, 255}, {0, 46, 93, 139, 255}, "002e5d8bff", "3f000000 3f7efeff 3fc06060 3fffdfe0 40500000"},
      {"B2", {0.0f, 0.25f, 0.5f, 1.0f}, "[4]", Encoding::kUint8, "-0.0", "0.00392156862745098", {0, 64, 128, 255},
       {0, 64, 127, 255}, "004080ff", "00000000 3e808081 3f008081 3f800000"},
      {"C", {-3.0f, -2.5f, -1.0f, -0.25f}, "[4]", Encoding::kUint8, "-3.0", "0.010784313725490196",
       {0, 46, 185, 255}, {0, 46, 185, 255}, "002eb9ff", "c0400000 c0204040 bf80a0a1 be800000"},
      {"C2", {-1.0f, -0.5f, 0.0f}, "[3]", Encoding::kUint8, "-1.0", "0.00392156862745098", {0, 128, 255},
       {0, 127, 255}, "0080ff", "bf800000 befefeff 00000000"},
      {"D", {0.7f, 0.7f, 0.7f}, "[3]", Encoding::kUint8, "0.699999988079071", "1.0", {0, 0, 0}, {0, 0, 0}, "000000",
       "3f333333 3f333333 3f333333"},
      {"E", {3.5f}, "[]", Encoding::kUint16, "3.5", "1.0", {0}, {0}, "0000", "40600000"},
  };
  return v;
}

uint32_t QMax(Encoding e) { return e == Encoding::kUint8 ? 255 : 65535; }

std::vector<uint32_t> Codes(const std::vector<uint8_t>& bytes, Encoding e) {
  std::vector<uint32_t> out;
  if (e == Encoding::kUint8) {
    for (uint8_t b : bytes) out.push_back(b);
  } else {
    for (size_t i = 0; i + 1 < bytes.size(); i += 2) out.push_back(bytes[i] | (uint32_t{bytes[i + 1]} << 8));
  }
  return out;
}

std::vector<uint8_t> RunQuantizer(const AffineVector& v, Arithmetic arith, AffineParams* params) {
  FloatRange r = ScanRange(v.x);
  EXPECT_TRUE(r.finite());
  *params = ComputeAffineParams(r.min, r.max, QMax(v.enc));
  std::vector<uint8_t> out(v.x.size() * EncodingElementBytes(v.enc), 0xAB);
  QuantizeAffine(v.x, *params, v.enc, arith, out.data());
  return out;
}

class AffineVectorTest : public ::testing::TestWithParam<size_t> {
 protected:
  const AffineVector& vec() const { return Vectors()[GetParam()]; }
};

TEST_P(AffineVectorTest, ParamsAsPythonRepr) {
  const AffineVector& v = vec();
  AffineParams p;
  RunQuantizer(v, Arithmetic::kFloat64, &p);
  EXPECT_EQ(json::PythonFloatRepr(p.min), v.min_repr) << v.label;
  EXPECT_EQ(json::PythonFloatRepr(p.scale), v.scale_repr) << v.label;
  // The repr text must parse back to exactly the double we computed.
  EXPECT_EQ(std::strtod(v.min_repr, nullptr), p.min) << v.label;
  EXPECT_EQ(std::strtod(v.scale_repr, nullptr), p.scale) << v.label;
}

TEST_P(AffineVectorTest, Float64CodesAndBytes) {
  const AffineVector& v = vec();
  AffineParams p;
  auto bytes = RunQuantizer(v, Arithmetic::kFloat64, &p);
  EXPECT_EQ(Codes(bytes, v.enc), v.q) << v.label;
  EXPECT_EQ(Hex(bytes), v.bytes_hex) << v.label;
}

TEST_P(AffineVectorTest, Numpy1Float32Codes) {
  const AffineVector& v = vec();
  AffineParams p;
  auto bytes = RunQuantizer(v, Arithmetic::kNumpy1Float32, &p);
  EXPECT_EQ(Codes(bytes, v.enc), v.q_numpy1) << v.label;
  // The manifest numbers do not depend on the arithmetic.
  EXPECT_EQ(json::PythonFloatRepr(p.min), v.min_repr) << v.label;
  EXPECT_EQ(json::PythonFloatRepr(p.scale), v.scale_repr) << v.label;
}

TEST_P(AffineVectorTest, TfjsDecodeBits) {
  const AffineVector& v = vec();
  const double min = std::strtod(v.min_repr, nullptr), scale = std::strtod(v.scale_repr, nullptr);
  std::string stored = Unhex(v.bytes_hex);
  std::vector<float> out(v.x.size(), -123.0f);
  DecodeToFloat32(v.enc, reinterpret_cast<const uint8_t*>(stored.data()), v.x.size(), min, scale, out.data());
  EXPECT_EQ(BitsHex(out), v.js_f32) << v.label;
  // DequantizeAffine is the per-element form of the same thing.
  std::vector<float> single;
  for (uint32_t q : v.q) single.push_back(DequantizeAffine(q, scale, min));
  EXPECT_EQ(BitsHex(single), v.js_f32) << v.label;
}

// The same vectors through the real writer: model.json entry text and shard
// bytes as tensorflowjs_converter writes them, then read back and decoded.
Result<std::string> QuantizeThroughWriter(const AffineVector& v, Arithmetic arith, MemoryFiles* out) {
  MemoryFiles in;
  testing::TestGroup g;
  g.weights.push_back(testing::Float32Weight("w", v.shape, v.x));
  testing::PutModel(in, {g});
  auto model = Model::Open(in, "model.json");
  if (!model.ok()) return model.status();
  std::vector<Target> plan = {v.enc == Encoding::kUint8 ? Target::kUint8 : Target::kUint16};
  WriteOptions opt;
  opt.arithmetic = arith;
  auto report = WriteModel(*model, plan, opt, *out);
  if (!report.ok()) return report.status();
  return FileText(*out, "model.json");
}

TEST_P(AffineVectorTest, WrittenModelJsonAndShard) {
  const AffineVector& v = vec();
  MemoryFiles out;
  auto text = QuantizeThroughWriter(v, Arithmetic::kFloat64, &out);
  TFQ_ASSERT_OK(text);
  const std::string dt = v.enc == Encoding::kUint8 ? "uint8" : "uint16";
  const std::string entry = "{\"name\": \"w\", \"shape\": " + std::string(v.shape) +
                            ", \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"" + dt + "\", \"min\": " +
                            v.min_repr + ", \"scale\": " + v.scale_repr + ", \"original_dtype\": \"float32\"}}";
  const std::string manifest = "[{\"paths\": [\"group1-shard1of1.bin\"], \"weights\": [" + entry + "]}]";
  EXPECT_EQ(*text, testing::ModelJsonAround(manifest)) << v.label;
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), v.bytes_hex) << v.label;

  // Read what we wrote and decode it as tfjs does.
  auto back = Model::Open(out, "model.json");
  TFQ_ASSERT_OK(back);
  ASSERT_EQ(back->tensors().size(), 1u);
  std::vector<float> decoded;
  TFQ_ASSERT_OK(back->DecodeFloat32(back->tensors()[0], &decoded));
  EXPECT_EQ(BitsHex(decoded), v.js_f32) << v.label;
}

TEST_P(AffineVectorTest, WrittenShardNumpy1) {
  const AffineVector& v = vec();
  MemoryFiles out;
  auto text = QuantizeThroughWriter(v, Arithmetic::kNumpy1Float32, &out);
  TFQ_ASSERT_OK(text);
  std::vector<uint8_t> expect;
  for (uint32_t q : v.q_numpy1) {
    expect.push_back(static_cast<uint8_t>(q));
    if (v.enc == Encoding::kUint16) expect.push_back(static_cast<uint8_t>(q >> 8));
  }
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), Hex(expect)) << v.label;
  // Same manifest numbers as numpy 2.
  EXPECT_NE(text->find(std::string("\"min\": ") + v.min_repr + ", \"scale\": " + v.scale_repr), std::string::npos)
      << *text;
}

INSTANTIATE_TEST_SUITE_P(Spec7, AffineVectorTest, ::testing::Range<size_t>(0, 9),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(Vectors()[info.param].label);
                         });

// The numpy-1 ties of B2 and C2 are the whole point of the option; pin them
// by name so they cannot drift with the table.
TEST(QuantVectors, B2AndC2TiesDifferBetweenNumpyVersions) {
  const std::vector<float> b2 = {0.0f, 0.25f, 0.5f, 1.0f};
  AffineParams p = ComputeAffineParams(0.0f, 1.0f, 255);
  uint8_t q64[4], q32[4];
  QuantizeAffine(b2, p, Encoding::kUint8, Arithmetic::kFloat64, q64);
  QuantizeAffine(b2, p, Encoding::kUint8, Arithmetic::kNumpy1Float32, q32);
  EXPECT_EQ(q64[2], 128);
  EXPECT_EQ(q32[2], 127);
  EXPECT_TRUE(std::signbit(p.min)) << "min must be -0.0 as numpy writes it";
  EXPECT_EQ(json::PythonFloatRepr(p.min), "-0.0");

  const std::vector<float> c2 = {-1.0f, -0.5f, 0.0f};
  p = ComputeAffineParams(-1.0f, 0.0f, 255);
  QuantizeAffine(c2, p, Encoding::kUint8, Arithmetic::kFloat64, q64);
  QuantizeAffine(c2, p, Encoding::kUint8, Arithmetic::kNumpy1Float32, q32);
  EXPECT_EQ(q64[1], 128);
  EXPECT_EQ(q32[1], 127);
}

// A: 1.2 lies above the nudged max' and is clipped to qmax; the zero point
// decodes to exactly 0.0.
TEST(QuantVectors, AClipsAndZeroIsExact) {
  AffineParams p = ComputeAffineParams(-1.0f, 1.2f, 255);
  EXPECT_FALSE(p.constant);
  EXPECT_LT(p.max, 1.2);
  EXPECT_NEAR(p.max, 1.19922, 1e-5);
  EXPECT_EQ(DequantizeAffine(116, p.scale, p.min), 0.0f);
  EXPECT_FALSE(std::signbit(DequantizeAffine(116, p.scale, p.min)));
}

TEST(QuantVectors, DAndEAreConstant) {
  AffineParams d = ComputeAffineParams(0.7f, 0.7f, 255);
  EXPECT_TRUE(d.constant);
  EXPECT_EQ(d.scale, 1.0);
  EXPECT_EQ(d.min, static_cast<double>(0.7f));
  AffineParams e = ComputeAffineParams(3.5f, 3.5f, 65535);
  EXPECT_TRUE(e.constant);
  EXPECT_EQ(json::PythonFloatRepr(e.min), "3.5");
  EXPECT_EQ(json::PythonFloatRepr(e.scale), "1.0");
}

// I: legacy int32 entries quantized to uint8, decoded with Math.round.
TEST(QuantVectors, ILegacyInt32) {
  const std::vector<float> x = {-3, 0, 5, 10};
  AffineParams p = ComputeAffineParams(-3.0f, 10.0f, 255);
  EXPECT_EQ(json::PythonFloatRepr(p.min), "-3.007843137254902");
  EXPECT_EQ(json::PythonFloatRepr(p.scale), "0.050980392156862744");
  uint8_t q[4];
  QuantizeAffine(x, p, Encoding::kUint8, Arithmetic::kFloat64, q);
  EXPECT_EQ(Hex(std::span<const uint8_t>(q, 4)), "003b9dff");  // [0, 59, 157, 255]
  int32_t out[4];
  DecodeToInt32(Encoding::kUint8, q, 4, -3.007843137254902, 0.050980392156862744, out);
  EXPECT_EQ(std::vector<int32_t>(out, out + 4), (std::vector<int32_t>{-3, 0, 5, 10}));
}

// Math.round sends halves toward +Infinity (-2.5 -> -2, 2.5 -> 3), unlike
// numpy's half-to-even; the Int32Array store wraps modulo 2^32.
TEST(QuantVectors, IMathRoundHalvesAndWrap) {
  const uint8_t codes[] = {0, 1, 2, 3, 4, 5, 6};
  int32_t out[7];
  // x = code - 3.5: -3.5 -2.5 -1.5 -0.5 0.5 1.5 2.5
  DecodeToInt32(Encoding::kUint8, codes, 7, -3.5, 1.0, out);
  EXPECT_EQ(std::vector<int32_t>(out, out + 7), (std::vector<int32_t>{-3, -2, -1, 0, 1, 2, 3}));
  // Not halves: -2.6 -> -3, -2.4 -> -2.
  const uint8_t one[] = {0};
  DecodeToInt32(Encoding::kUint8, one, 1, -2.6, 1.0, out);
  EXPECT_EQ(out[0], -3);
  DecodeToInt32(Encoding::kUint8, one, 1, -2.4, 1.0, out);
  EXPECT_EQ(out[0], -2);
  // uint16 codes, little-endian: 0x0102 = 258, x = 258 * 0.5 - 131.25 = -2.25.
  const uint8_t c16[] = {0x02, 0x01};
  DecodeToInt32(Encoding::kUint16, c16, 1, -131.25, 0.5, out);
  EXPECT_EQ(out[0], -2);
  // Wrap: 2^31 -> -2^31, 2^32 + 5 -> 5.
  DecodeToInt32(Encoding::kUint8, one, 1, 2147483648.0, 1.0, out);
  EXPECT_EQ(out[0], INT32_MIN);
  DecodeToInt32(Encoding::kUint8, one, 1, 4294967301.0, 1.0, out);
  EXPECT_EQ(out[0], 5);
}

// I through the writer: dequantizing a legacy int32 entry gives Int32 bytes.
TEST(QuantVectors, ILegacyInt32Dequantized) {
  MemoryFiles in;
  testing::TestGroup g;
  g.weights.push_back({testing::EntryJson("i", "[4]", "int32",
                                          "{\"dtype\": \"uint8\", \"min\": -3.007843137254902, \"scale\": "
                                          "0.050980392156862744}"),
                       Unhex("003b9dff")});
  testing::PutModel(in, {g});
  auto model = Model::Open(in, "model.json");
  TFQ_ASSERT_OK(model);
  MemoryFiles out;
  std::vector<Target> plan = {Target::kRaw};
  TFQ_ASSERT_OK(WriteModel(*model, plan, WriteOptions{}, out));
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), Hex(testing::I32LE({-3, 0, 5, 10})));
  EXPECT_NE(FileText(out, "model.json").find("{\"name\": \"i\", \"shape\": [4], \"dtype\": \"int32\"}]"),
            std::string::npos)
      << FileText(out, "model.json");
}

// F: the float16 table.
struct HalfRow {
  uint32_t in_bits;
  uint16_t half;
  uint32_t out_bits;
};

TEST(QuantVectors, FFloat16Table) {
  const HalfRow rows[] = {
      {0x3f800000, 0x3c00, 0x3f800000},  // 1.0
      {0xc0000000, 0xc000, 0xc0000000},  // -2.0
      {0x3dcccccd, 0x2e66, 0x3dccc000},  // 0.1 -> 0.0999755859375
      {0x3eaaaaab, 0x3555, 0x3eaaa000},  // 1/3 -> 0.333251953125
      {0x477fe000, 0x7bff, 0x477fe000},  // 65504
      {0x477fef00, 0x7bff, 0x477fe000},  // 65519 -> 65504
      {0x477ff000, 0x7c00, 0x7f800000},  // 65520 -> +Inf
      {0x47c35000, 0x7c00, 0x7f800000},  // 1e5 -> +Inf
      {0x38800000, 0x0400, 0x38800000},  // 2^-14, smallest normal
      {0x33d6bf95, 0x0002, 0x34000000},  // 1e-7 -> 2 * 2^-24
      {0x33800000, 0x0001, 0x33800000},  // 2^-24, smallest subnormal
      {0x33000000, 0x0000, 0x00000000},  // 2^-25 ties to 0
      {0x33400000, 0x0001, 0x33800000},  // 1.5 * 2^-25 -> 2^-24
      {0x80000000, 0x8000, 0x80000000},  // -0.0
      {0x7f800000, 0x7c00, 0x7f800000},  // +Inf
      {0xff800000, 0xfc00, 0xff800000},  // -Inf
  };
  for (const auto& r : rows) {
    EXPECT_EQ(FloatToHalfBits(testing::FloatFromBits(r.in_bits)), r.half) << std::hex << r.in_bits;
    EXPECT_EQ(BitsHex(HalfBitsToFloat(r.half)), BitsHex(testing::FloatFromBits(r.out_bits))) << std::hex << r.half;
  }
  // The JS decode values the spec prints.
  EXPECT_EQ(HalfBitsToFloat(0x2e66), 0.0999755859375f);
  EXPECT_EQ(HalfBitsToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfBitsToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(HalfBitsToFloat(0x0400), 6.103515625e-05f);
  EXPECT_EQ(HalfBitsToFloat(0x0002), 1.1920928955078125e-07f);
  EXPECT_EQ(HalfBitsToFloat(0x0001), 5.9604644775390625e-08f);
  // NaN (7fc00000) -> 7e00 -> NaN.
  EXPECT_EQ(FloatToHalfBits(testing::FloatFromBits(0x7fc00000)), 0x7e00);
  EXPECT_TRUE(std::isnan(HalfBitsToFloat(0x7e00)));
  EXPECT_EQ(BitsHex(HalfBitsToFloat(0x7e00)), "7fc00000");
}

TEST(QuantVectors, FFloat16Bytes) {
  const std::vector<float> x = {1.0f, -2.0f, 65520.0f};
  uint8_t out[6];
  QuantizeFloat16(x, out);
  EXPECT_EQ(Hex(std::span<const uint8_t>(out, 6)), "003c00c0007c");
  std::vector<float> back(3);
  DecodeToFloat32(Encoding::kFloat16, out, 3, 0, 1, back.data());
  EXPECT_EQ(BitsHex(back), "3f800000 c0000000 7f800000");
}

TEST(QuantVectors, FFloat16ThroughWriter) {
  MemoryFiles in;
  testing::TestGroup g;
  g.weights.push_back(testing::Float32Weight("h", "[3]", {1.0f, -2.0f, 65520.0f}));
  testing::PutModel(in, {g});
  auto model = Model::Open(in, "model.json");
  TFQ_ASSERT_OK(model);
  MemoryFiles out;
  std::vector<Target> plan = {Target::kFloat16};
  TFQ_ASSERT_OK(WriteModel(*model, plan, WriteOptions{}, out));
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), "003c00c0007c");
  const std::string manifest =
      "[{\"paths\": [\"group1-shard1of1.bin\"], \"weights\": [{\"name\": \"h\", \"shape\": [3], \"dtype\": "
      "\"float32\", \"quantization\": {\"dtype\": \"float16\", \"original_dtype\": \"float32\"}}]}]";
  EXPECT_EQ(FileText(out, "model.json"), testing::ModelJsonAround(manifest));
}

// G: the spec's layout example, read as one group and re-sharded at 16 bytes.
std::vector<testing::TestWeight> GEntries() {
  return {
      testing::Float32Weight("f", "[3]", {1.0f, -2.0f, 0.5f}),
      {testing::EntryJson("q", "[5]", "float32",
                          "{\"dtype\": \"uint8\", \"min\": -1.0007843354169061, \"scale\": 0.008627451167387121, "
                          "\"original_dtype\": \"float32\"}"),
       Unhex("006874aeff")},
      {testing::EntryJson("s", "[2]", "string"), testing::StringsLE({"ab", ""})},
      {testing::EntryJson("b", "[2]", "bool"), Unhex("0100")},
      {testing::EntryJson("c", "[1]", "complex64"), Unhex("0000803f 00000040")},
      {testing::EntryJson("i", "[1]", "int32"), Unhex("ffffffff")},
  };
}

TEST(QuantVectors, GLayout) {
  const std::string group_hex =
      "0000803f 000000c0 0000003f | 006874aeff | 02000000 6162 00000000 | 0100 | 0000803f 00000040 | ffffffff";
  MemoryFiles in;
  testing::TestGroup g;
  g.weights = GEntries();
  EXPECT_EQ(Hex(testing::GroupBytes(g)), Hex(Unhex(group_hex)));
  testing::PutModel(in, {g});
  auto model = Model::Open(in, "model.json");
  TFQ_ASSERT_OK(model);
  ASSERT_EQ(model->tensors().size(), 6u);
  const uint64_t offsets[] = {0, 12, 17, 27, 29, 37}, sizes[] = {12, 5, 10, 2, 8, 4};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(model->tensors()[i].offset, offsets[i]) << i;
    EXPECT_EQ(model->tensors()[i].byte_size, sizes[i]) << i;
  }
  EXPECT_EQ(model->total_bytes(), 41u);

  MemoryFiles out;
  WriteOptions opt;
  opt.shard_size_bytes = 16;
  std::vector<Target> plan(6, Target::kKeep);
  auto report = WriteModel(*model, plan, opt, out);
  TFQ_ASSERT_OK(report);
  EXPECT_EQ(report->files, (std::vector<std::string>{"group1-shard1of3.bin", "group1-shard2of3.bin",
                                                     "group1-shard3of3.bin", "model.json"}));
  const std::string all = Hex(Unhex(group_hex));
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of3.bin")), all.substr(0, 32));
  EXPECT_EQ(Hex(FileText(out, "group1-shard2of3.bin")), all.substr(32, 32));
  EXPECT_EQ(Hex(FileText(out, "group1-shard3of3.bin")), all.substr(64));
  EXPECT_EQ(FileText(out, "group1-shard3of3.bin").size(), 9u);

  // The straddling entries read back whole.
  auto back = Model::Open(out, "model.json");
  TFQ_ASSERT_OK(back);
  std::vector<float> q;
  TFQ_ASSERT_OK(back->DecodeFloat32(back->tensors()[1], &q));
  EXPECT_EQ(BitsHex(q), "bf8019b3 bdd4073b 00000000 3f0019b3 3f997fe7");
  std::vector<uint8_t> c;
  TFQ_ASSERT_OK(back->ReadStored(back->tensors()[4], &c));
  EXPECT_EQ(Hex(c), "0000803f00000040");
}

}  // namespace
}  // namespace tfq
