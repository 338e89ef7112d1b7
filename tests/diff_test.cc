// SPDX-License-Identifier: Apache-2.0
// tfq::Diff: identical and changed tensors, every dtype (strings and
// complex64 byte for byte), zero-element tensors, and a kMismatch listing
// what the two models do not share.
#include <gtest/gtest.h>

#include <cmath>

#include "testutil.h"
#include "tfjs_quant/diff.h"
#include "tfjs_quant/writer.h"

namespace tfq {
namespace {

using testing::EntryJson;
using testing::F32LE;

Result<Model> Open(MemoryFiles& files, const std::string& weights, const std::string& bytes) {
  files.Put("g.bin", bytes);
  files.Put("m.json", "[{\"paths\": [\"g.bin\"], \"weights\": [" + weights + "]}]");
  return Model::Open(files, "m.json");
}

TEST(Diff, QuantizedCopyAgainstItsSource) {
  const std::string weights = EntryJson("f", "[4]", "float32") + ", " + EntryJson("e", "[0, 3]", "float32") + ", " +
                              EntryJson("i", "[2]", "int32") + ", " + EntryJson("s", "[1]", "string") + ", " +
                              EntryJson("z", "[0]", "int32");
  const std::string bytes = F32LE({-1.0f, 0.0f, 0.5f, 1.0f}) + testing::I32LE({7, 8}) + testing::StringsLE({"ab"});
  MemoryFiles a_files, b_files;
  auto a = Open(a_files, weights, bytes);
  TFQ_ASSERT_OK(a);
  std::vector<Target> plan(a->tensors().size(), Target::kKeep);
  plan[0] = Target::kUint8;
  plan[1] = Target::kUint8;  // empty: stays as stored
  TFQ_ASSERT_OK(WriteModel(*a, plan, WriteOptions{}, b_files));
  auto b = Model::Open(b_files, "m.json");
  TFQ_ASSERT_OK(b);
  auto d = Diff(*a, *b);
  TFQ_ASSERT_OK(d);
  ASSERT_EQ(d->tensors.size(), 5u);
  EXPECT_EQ(d->differ, 1u);
  EXPECT_TRUE(d->tensors[0].differs);
  EXPECT_EQ(d->tensors[0].b, Encoding::kUint8);
  EXPECT_GT(d->tensors[0].sqnr_db, 40);
  EXPECT_LT(d->tensors[0].max_abs, 0.004);
  for (size_t i = 1; i < 5; ++i) EXPECT_FALSE(d->tensors[i].differs) << d->tensors[i].name;
  EXPECT_TRUE(d->tensors[3].bytes_only);
  EXPECT_TRUE(std::isinf(d->tensors[1].sqnr_db));  // nothing to compare: exact
}

TEST(Diff, DifferentWeightsAreAMismatch) {
  MemoryFiles a_files, b_files;
  auto a = Open(a_files, EntryJson("x", "[1]", "float32") + ", " + EntryJson("y", "[1]", "float32"), F32LE({1, 2}));
  auto b = Open(b_files, EntryJson("x", "[1, 1]", "float32") + ", " + EntryJson("z", "[1]", "float32"), F32LE({1, 2}));
  TFQ_ASSERT_OK(a);
  TFQ_ASSERT_OK(b);
  auto d = Diff(*a, *b);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kMismatch);
  EXPECT_EQ(d.status().message(),
            "the models do not hold the same weights (3 differences):\n  shape differs: 'x' [1] vs [1,1]\n"
            "  only in A: 'y'\n  only in B: 'z'");
}

TEST(EntryText, QuantizationIsReplacedInPlaceAppendedOrRemoved) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  files.Put("m.json", R"([{"paths": ["g.bin"], "weights": [{"name": "w", "quantization": {"dtype": "float16"}, )"
                      R"("shape": [1], "dtype": "float32", "group": "model"}]}])");
  files.Put("g.bin", std::string("\x00\x3c", 2));
  auto m = Model::Open(files, "m.json");
  TFQ_ASSERT_OK(m);
  WeightEntry e = m->entry(m->tensors()[0]);
  SetQuantization(e, Quantization{Encoding::kUint8, -1.0, 0.5});
  EXPECT_EQ(EntryToJson(e), R"({"name": "w", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5, )"
                            R"("original_dtype": "float32"}, "shape": [1], "dtype": "float32", "group": "model"})");
  SetQuantization(e, std::nullopt);
  EXPECT_EQ(EntryToJson(e), R"({"name": "w", "shape": [1], "dtype": "float32", "group": "model"})");
  SetQuantization(e, Quantization{Encoding::kFloat16, 0, 1});
  EXPECT_EQ(EntryToJson(e), R"({"name": "w", "shape": [1], "dtype": "float32", "group": "model", )"
                            R"("quantization": {"dtype": "float16", "original_dtype": "float32"}})");
}

}  // namespace
}  // namespace tfq
