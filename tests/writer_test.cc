// SPDX-License-Identifier: Apache-2.0
// WriteModel: converter-style shards (names, sizes, bytes), the model JSON
// with only the manifest rewritten, converter key order in rewritten
// entries, tfjs's CompositeArrayBuffer rule for the final shard (spec 1.5),
// non-finite tensors, dequantize and re-quantize round trips, determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "testutil.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/quantize.h"
#include "tfjs_quant/select.h"
#include "tfjs_quant/writer.h"

namespace tfq {
namespace {

using testing::BitsHex;
using testing::EntryJson;
using testing::F32LE;
using testing::FileText;
using testing::Float32Weight;
using testing::Hex;
using testing::StatusText;
using testing::TestGroup;
using testing::Unhex;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

Result<Model> OpenModel(MemoryFiles& files, const std::string& name = "model.json") {
  return Model::Open(files, name);
}

// Opens `in`, writes it with `plan` into `out`.
Result<WriteReport> Write(MemoryFiles& in, const std::vector<Target>& plan, MemoryFiles& out,
                          uint64_t shard_size = 4194304, const std::string& name = "model.json") {
  auto m = Model::Open(in, name);
  if (!m.ok()) return m.status();
  WriteOptions opt;
  opt.shard_size_bytes = shard_size;
  return WriteModel(*m, plan, opt, out);
}

std::string Manifest(const std::string& model_json) {
  auto m = ParseModelFile(model_json, "model.json");
  EXPECT_TRUE(m.ok()) << StatusText(m);
  if (!m.ok()) return "";
  return m->text.substr(m->manifest_begin, m->manifest_end - m->manifest_begin);
}

// ---------------------------------------------------------------------------
// Spec 7 G: 41 bytes, shard size 16 -> 16 + 16 + 9.

TEST(WriteModel, GLayoutShardsOf16) {
  const std::string group_hex =
      "0000803f 000000c0 0000003f | 006874aeff | 02000000 6162 00000000 | 0100 | 0000803f 00000040 | ffffffff";
  const std::string q = R"({"dtype": "uint8", "min": -1.0007843354169061, "scale": 0.008627451167387121, "original_dtype": "float32"})";
  TestGroup g;
  g.weights = {
      Float32Weight("f", "[3]", {1.0f, -2.0f, 0.5f}),
      {EntryJson("q", "[5]", "float32", q), Unhex("006874aeff")},
      {EntryJson("s", "[2]", "string"), testing::StringsLE({"ab", ""})},
      {EntryJson("b", "[2]", "bool"), Unhex("0100")},
      {EntryJson("c", "[1]", "complex64"), Unhex("0000803f 00000040")},
      {EntryJson("i", "[1]", "int32"), Unhex("ffffffff")},
  };
  g.shard_size = 5;  // the input is cut differently on purpose
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  auto r = Write(in, std::vector<Target>(6, Target::kKeep), out, 16);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(r->files, (std::vector<std::string>{"group1-shard1of3.bin", "group1-shard2of3.bin",
                                                "group1-shard3of3.bin", "model.json"}));
  EXPECT_EQ(out.files.size(), 4u);
  const std::string all = Hex(Unhex(group_hex));
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of3.bin")), all.substr(0, 32));
  EXPECT_EQ(Hex(FileText(out, "group1-shard2of3.bin")), all.substr(32, 32));
  EXPECT_EQ(Hex(FileText(out, "group1-shard3of3.bin")), all.substr(64, 18));
  std::string entries;
  for (const auto& w : g.weights) entries += (entries.empty() ? "" : ", ") + w.json;
  EXPECT_EQ(Manifest(FileText(out, "model.json")),
            R"([{"paths": ["group1-shard1of3.bin", "group1-shard2of3.bin", "group1-shard3of3.bin"], "weights": [)" +
                entries + "]}]");
  EXPECT_EQ(r->bytes_before, 41u);
  EXPECT_EQ(r->bytes_after, 41u);
}

TEST(WriteModel, ShardNamesPerGroup) {
  TestGroup g1, g2;
  g1.weights = {Float32Weight("a", "[3]", {1, 2, 3})};
  g2.weights = {Float32Weight("b", "[2]", {4, 5})};
  MemoryFiles in, out;
  testing::PutModel(in, {g1, g2});
  auto r = Write(in, {Target::kKeep, Target::kKeep}, out, 8);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(r->files, (std::vector<std::string>{"group1-shard1of2.bin", "group1-shard2of2.bin",
                                                "group2-shard1of1.bin", "model.json"}));
  EXPECT_EQ(Hex(FileText(out, "group1-shard2of2.bin")), Hex(F32LE({3})));
  EXPECT_EQ(Hex(FileText(out, "group2-shard1of1.bin")), Hex(F32LE({4, 5})));
}

TEST(WriteModel, OptionErrors) {
  TestGroup g;
  g.weights = {Float32Weight("a", "[1]", {1})};
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  auto zero = Write(in, {Target::kKeep}, out, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("shard size"), std::string::npos);
  auto wrong = Write(in, {Target::kKeep, Target::kKeep}, out);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("2 targets for 1 tensors"), std::string::npos) << wrong.status().message();
  EXPECT_TRUE(out.files.empty());
}

// ---------------------------------------------------------------------------
// Round trips and what is rewritten.

TEST(WriteModel, KeepEverythingReproducesConverterOutputExactly) {
  TestGroup g1, g2;
  g1.weights = {Float32Weight("dense/kernel", "[2, 2]", {1, -2, 3.5f, 0}),
                {EntryJson("dense/bias", "[2]", "float32",
                           R"({"dtype": "uint8", "min": -0.0, "scale": 0.00392156862745098, "original_dtype": "float32"})"),
                 Unhex("00ff")}};
  g2.weights = {{EntryJson("step", "[]", "int32"), testing::I32LE({7})},
                {EntryJson("h", "[1]", "float32", R"({"dtype": "float16", "original_dtype": "float32"})"), Unhex("003c")}};
  MemoryFiles in, out;
  testing::PutModel(in, {g1, g2});
  auto r = Write(in, std::vector<Target>(4, Target::kKeep), out);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(out.files, in.files);  // every file, byte for byte
}

TEST(WriteModel, KeepPreservesEverythingOutsideTheManifest) {
  const std::string prefix =
      "{\n  \"modelTopology\" : {\"b\":1,  \"a\" : [ 1,2 ], \"weightsManifest\": \"decoy\"},\r\n"
      "  \"format\":\"graph-model\",\t\"weightsManifest\" :";
  const std::string manifest =
      R"([ {"paths":["w.bin"] ,"weights":[{"name":"w","shape":[ 2 ],"dtype":"float32"},)"
      R"({"shape":[1],"dtype":"float32","name":"\u00e9"}]}])";
  const std::string suffix = "  ,\n  \"signature\": {\"x\": \"\\u00e9\"}, \"userDefinedMetadata\": {\"k\": 1.50}\n}\n";
  MemoryFiles in, out;
  in.Put("w.bin", F32LE({1, 2, 3}));
  in.Put("model.json", prefix + manifest + suffix);
  auto r = Write(in, {Target::kKeep, Target::kKeep}, out);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(FileText(out, "model.json"),
            prefix +
                R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}, )"
                R"({"shape": [1], "dtype": "float32", "name": "\u00e9"}]}])" +
                suffix);
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), Hex(F32LE({1, 2, 3})));
}

TEST(WriteModel, Utf8BomIsKeptAndManifestReplaced) {
  TestGroup g;
  g.weights = {Float32Weight("a", "[3]", {0.0f, -0.1f, 1.2f})};
  MemoryFiles in, out;
  const std::string manifest = testing::PutShards(in, {g});
  in.Put("model.json", "\xEF\xBB\xBF" + testing::ModelJsonAround(manifest));
  TFQ_ASSERT_OK(Write(in, {Target::kUint8}, out));
  EXPECT_EQ(FileText(out, "model.json"),
            "\xEF\xBB\xBF" + testing::ModelJsonAround(
                R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "a", "shape": [3], "dtype": "float32", )"
                R"("quantization": {"dtype": "uint8", "min": -0.10196078817049663, "scale": 0.0050980394085248315, )"
                R"("original_dtype": "float32"}}]}])"));
  // A standalone manifest with a BOM too.
  MemoryFiles in2, out2;
  in2.Put("weights_manifest.json", "\xEF\xBB\xBF" + testing::PutShards(in2, {g}) + "\n");
  TFQ_ASSERT_OK(Write(in2, {Target::kKeep}, out2, 4194304, "weights_manifest.json"));
  EXPECT_EQ(out2.files, in2.files);
}

TEST(WriteModel, QuantizingRewritesOnlyTheManifest) {
  const std::string old_q = R"({"min": 0.5, "scale": 0.01, "dtype": "uint16"})";  // pre-2020 key order
  TestGroup g;
  g.weights = {
      Float32Weight("keep", "[2]", {1, 2}),
      Float32Weight("a", "[5]", {-1.0f, -0.1f, 0.0f, 0.5f, 1.2f}),
      {R"({"name": "opt", "shape": [1], "dtype": "float32", "group": "optimizer"})", F32LE({9})},
      {EntryJson("old", "[1]", "float32", old_q), Unhex("0100")},
  };
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  const std::string in_json = FileText(in, "model.json");
  auto r = Write(in, {Target::kKeep, Target::kUint8, Target::kKeep, Target::kKeep}, out);
  TFQ_ASSERT_OK(r);
  const std::string expect_manifest =
      R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "keep", "shape": [2], "dtype": "float32"}, )"
      R"({"name": "a", "shape": [5], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0007843354169061, )"
      R"("scale": 0.008627451167387121, "original_dtype": "float32"}}, )"
      R"({"name": "opt", "shape": [1], "dtype": "float32", "group": "optimizer"}, )"
      R"({"name": "old", "shape": [1], "dtype": "float32", "quantization": {"min": 0.5, "scale": 0.01, "dtype": "uint16"}}]}])";
  const std::string out_json = FileText(out, "model.json");
  EXPECT_EQ(out_json, testing::ModelJsonAround(expect_manifest));
  // Same text as the input outside the manifest.
  auto mi = ParseModelFile(in_json, "model.json");
  TFQ_ASSERT_OK(mi);
  EXPECT_EQ(out_json.substr(0, mi->manifest_begin), in_json.substr(0, mi->manifest_begin));
  EXPECT_EQ(out_json.substr(out_json.size() - (in_json.size() - mi->manifest_end)), in_json.substr(mi->manifest_end));
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")),
            Hex(F32LE({1, 2})) + "006874aeff" + Hex(F32LE({9})) + "0100");
  ASSERT_EQ(r->tensors.size(), 4u);
  EXPECT_EQ(r->tensors[1].before, Encoding::kRaw);
  EXPECT_EQ(r->tensors[1].after, Encoding::kUint8);
  EXPECT_EQ(r->tensors[1].bytes_before, 20u);
  EXPECT_EQ(r->tensors[1].bytes_after, 5u);
  EXPECT_EQ(r->tensors[3].after, Encoding::kUint16);
  EXPECT_EQ(r->bytes_before, 8u + 20 + 4 + 2);
  EXPECT_EQ(r->bytes_after, 8u + 5 + 4 + 2);
  EXPECT_TRUE(r->warnings.empty());
}

// Rewritten entries: converter-ordered input gives exactly the converter's
// entry; the quantization object is always {dtype, min, scale,
// original_dtype} (an old {min, scale, dtype} one is replaced), and, as
// docs/format.md says, it takes the place of any previous one while the
// entry's other keys keep their order.
TEST(WriteModel, RewrittenEntriesUseConverterKeyOrder) {
  const std::string old_q = R"({"min": 0.5, "scale": 0.01, "dtype": "uint8"})";
  TestGroup g;
  g.weights = {
      Float32Weight("conv", "[2]", {0.0f, 1.0f}),
      {EntryJson("oldq", "[1]", "float32", old_q), Unhex("01")},
      Float32Weight("h", "[2]", {1.0f, -2.0f}),
      {R"({"dtype": "float32", "shape": [2], "name": "odd"})", F32LE({0.0f, 1.0f})},
      {R"({"quantization": {"scale": 1.0, "dtype": "uint8", "min": 2.0}, "name": "qfirst", "shape": [1], "dtype": "float32"})",
       Unhex("00")},
  };
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  auto r = Write(in, {Target::kUint8, Target::kUint16, Target::kFloat16, Target::kUint8, Target::kFloat16}, out);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(Manifest(FileText(out, "model.json")),
            R"([{"paths": ["group1-shard1of1.bin"], "weights": [)"
            R"({"name": "conv", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -0.0, )"
            R"("scale": 0.00392156862745098, "original_dtype": "float32"}}, )"
            R"({"name": "oldq", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint16", "min": 0.5099999904632568, )"
            R"("scale": 1.0, "original_dtype": "float32"}}, )"
            R"({"name": "h", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}}, )"
            R"({"dtype": "float32", "shape": [2], "name": "odd", "quantization": {"dtype": "uint8", "min": -0.0, )"
            R"("scale": 0.00392156862745098, "original_dtype": "float32"}}, )"
            R"({"quantization": {"dtype": "float16", "original_dtype": "float32"}, "name": "qfirst", "shape": [1], "dtype": "float32"}]}])");
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), "00ff" "0000" "003c00c0" "00ff" "0040");
}

TEST(WriteModel, ExtraEntryKeysAreKept) {
  TestGroup g;
  g.weights = {{R"({"name": "m", "shape": [1], "dtype": "float32", "group": "optimizer"})", F32LE({0.25f})}};
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  TFQ_ASSERT_OK(Write(in, {Target::kFloat16}, out));
  const std::string m = Manifest(FileText(out, "model.json"));
  EXPECT_NE(m.find(R"("group": "optimizer")"), std::string::npos) << m;
  EXPECT_NE(m.find(R"({"name": "m", "shape": [1], "dtype": "float32", )"), std::string::npos) << m;
  EXPECT_NE(m.find(R"("quantization": {"dtype": "float16", "original_dtype": "float32"})"), std::string::npos) << m;
}

TEST(WriteModel, Float16EntriesHaveNoMinOrScale) {
  TestGroup g;
  g.weights = {Float32Weight("h", "[3]", {1.0f, -2.0f, 65520.0f})};
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  auto r = Write(in, {Target::kFloat16}, out);
  TFQ_ASSERT_OK(r);
  const std::string m = Manifest(FileText(out, "model.json"));
  EXPECT_EQ(m, R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "h", "shape": [3], "dtype": "float32", )"
               R"("quantization": {"dtype": "float16", "original_dtype": "float32"}}]}])");
  EXPECT_EQ(m.find("min"), std::string::npos);
  EXPECT_EQ(m.find("scale"), std::string::npos);
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), "003c00c0007c");
}

TEST(WriteModel, StandaloneManifestIsWrittenBare) {
  TestGroup g;
  g.weights = {Float32Weight("a", "[3]", {0.0f, -0.1f, 1.2f})};
  MemoryFiles in, out;
  const std::string name = testing::PutModel(in, {g}, /*standalone=*/true);
  auto r = Write(in, {Target::kUint8}, out, 4194304, name);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(r->files.back(), "weights_manifest.json");
  EXPECT_EQ(FileText(out, "weights_manifest.json"),
            R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "a", "shape": [3], "dtype": "float32", )"
            R"("quantization": {"dtype": "uint8", "min": -0.10196078817049663, "scale": 0.0050980394085248315, )"
            R"("original_dtype": "float32"}}]}])");
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), "1400ff");  // spec 7 A2
}

// ---------------------------------------------------------------------------
// Empty groups and files.

TEST(WriteModel, NoEmptyShardFilesAndEmptyGroupsGetNoPaths) {
  TestGroup g1, g2, g3, g4;
  g1.weights = {Float32Weight("a", "[2]", {1, 2})};
  g2.weights = {{EntryJson("z", "[0]", "float32"), ""}, {EntryJson("zs", "[0]", "string"), ""}};
  g3.weights = {};
  g4.weights = {{EntryJson("zf", "[0, 3]", "float32"), ""}};
  MemoryFiles in, out;
  testing::PutModel(in, {g1, g2, g3, g4});
  // Quantizing zero-element tensors: uint8 keeps them (numpy cannot), float16 works.
  auto r = Write(in, {Target::kUint8, Target::kUint8, Target::kKeep, Target::kFloat16}, out);
  TFQ_ASSERT_OK(r);
  for (const auto& [name, bytes] : out.files) EXPECT_FALSE(bytes.empty()) << name;
  EXPECT_EQ(r->files, (std::vector<std::string>{"group1-shard1of1.bin", "model.json"}));
  EXPECT_EQ(out.files.size(), 2u);
  EXPECT_EQ(Manifest(FileText(out, "model.json")),
            R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "a", "shape": [2], "dtype": "float32", )"
            R"("quantization": {"dtype": "uint8", "min": 1.0, "scale": 0.00392156862745098, "original_dtype": "float32"}}]}, )"
            R"({"paths": [], "weights": [{"name": "z", "shape": [0], "dtype": "float32"}, )"
            R"({"name": "zs", "shape": [0], "dtype": "string"}]}, {"paths": [], "weights": []}, )"
            R"({"paths": [], "weights": [{"name": "zf", "shape": [0, 3], "dtype": "float32", )"
            R"("quantization": {"dtype": "float16", "original_dtype": "float32"}}]}])");
  auto back = OpenModel(out);
  TFQ_ASSERT_OK(back);
}

// ---------------------------------------------------------------------------
// tfjs's CompositeArrayBuffer (spec 1.5): when every shard but the last has
// the same length L, byte offsets map to shard floor(offset / L).

// CompositeArrayBuffer.slice(start, end) over `bufs`; nullopt where tfjs
// fails to find the bytes.
std::optional<std::string> CabSlice(const std::vector<std::string>& bufs, uint64_t start, uint64_t end) {
  if (end <= start) return std::string();
  if (bufs.empty()) return std::nullopt;
  std::vector<uint64_t> starts;
  uint64_t total = 0;
  std::optional<uint64_t> uniform = bufs[0].size();
  for (size_t i = 0; i < bufs.size(); ++i) {
    if (i + 1 != bufs.size() && bufs[i].size() != bufs[0].size()) uniform.reset();
    starts.push_back(total);
    total += bufs[i].size();
  }
  if (start >= total || end > total) return std::nullopt;
  size_t idx = 0;
  if (uniform) {
    if (*uniform == 0) return std::nullopt;
    idx = start / *uniform;
    if (idx >= bufs.size()) return std::nullopt;
  } else {
    while (idx + 1 < bufs.size() && starts[idx + 1] <= start) ++idx;
  }
  std::string out;
  for (size_t i = idx; i < bufs.size(); ++i) {
    const uint64_t gs = start + out.size();
    const uint64_t shard_end = starts[i] + bufs[i].size();
    if (gs < starts[i]) return std::nullopt;
    const uint64_t ge = std::min(end, shard_end);
    out += bufs[i].substr(gs - starts[i], ge - gs);
    if (end < shard_end) break;
  }
  if (out.size() != end - start) return std::nullopt;
  return out;
}

TEST(CabSimulator, ReproducesTheQuirk) {
  const std::vector<std::string> ok = {"aaaa", "bbbb", "cc"};
  EXPECT_EQ(CabSlice(ok, 3, 9), "abbbbc");
  const std::vector<std::string> bad = {"aaaa", "bbbb", "cccccccccc"};
  EXPECT_EQ(CabSlice(bad, 8, 10), "cc");
  EXPECT_EQ(CabSlice(bad, 12, 14), std::nullopt);  // floor(12 / 4) = 3: no such shard
}

// Every weight of the written model read back as tfjs's http loader does:
// all shards of all groups in manifest order, one CompositeArrayBuffer.
void ExpectTfjsCanReadEveryWeight(MemoryFiles& out) {
  auto m = OpenModel(out);
  ASSERT_TRUE(m.ok()) << StatusText(m);
  std::vector<std::string> bufs;
  std::vector<uint64_t> group_base;
  uint64_t base = 0;
  for (const auto& g : m->file().groups) {
    group_base.push_back(base);
    for (const auto& p : g.paths) {
      bufs.push_back(FileText(out, p));
      base += bufs.back().size();
    }
  }
  for (const auto& b : bufs) EXPECT_FALSE(b.empty()) << "empty shard file";
  if (bufs.size() > 1) {
    bool uniform = true;
    for (size_t i = 0; i + 1 < bufs.size(); ++i) uniform &= bufs[i].size() == bufs[0].size();
    if (uniform) {
      EXPECT_LE(bufs.back().size(), bufs[0].size()) << "final shard longer than the uniform size of the others";
    }
  }
  for (const auto& t : m->tensors()) {
    std::vector<uint8_t> want;
    TFQ_ASSERT_OK(m->ReadStored(t, &want));
    const uint64_t start = group_base[t.group] + t.offset;
    auto got = CabSlice(bufs, start, start + t.byte_size);
    ASSERT_TRUE(got.has_value()) << "tfjs cannot read weight '" << m->entry(t).name << "' at " << start;
    EXPECT_EQ(Hex(*got), Hex(want)) << m->entry(t).name;
  }
}

std::vector<uint64_t> ShardSizes(const MemoryFiles& out) {
  std::vector<uint64_t> sizes;
  auto m = ParseModelFile(FileText(out, "model.json"), "model.json");
  EXPECT_TRUE(m.ok());
  if (!m.ok()) return sizes;
  for (const auto& g : m->groups)
    for (const auto& p : g.paths) sizes.push_back(out.files.at(p).size());
  return sizes;
}

TEST(WriteModel, FinalShardNeverLongerThanTheUniformSize_4_10) {
  TestGroup g1, g2;
  g1.weights = {Float32Weight("a", "[1]", {1})};
  g2.weights = {{EntryJson("b", "[10]", "bool"), Unhex("01000101000100010001")}};
  MemoryFiles in, out;
  testing::PutModel(in, {g1, g2});
  TFQ_ASSERT_OK(Write(in, {Target::kKeep, Target::kKeep}, out));
  auto sizes = ShardSizes(out);
  ASSERT_GE(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], 4u);
  uint64_t total = 0;
  for (auto s : sizes) total += s;
  EXPECT_EQ(total, 14u);
  EXPECT_LE(sizes.back(), 4u);
  ExpectTfjsCanReadEveryWeight(out);
}

TEST(WriteModel, FinalShardRuleAfterQuantizingAndWithEmptyTrailingGroup) {
  // Groups of 4, 4 and 40 bytes; the last is quantized to uint16 (20 bytes)
  // and followed by an empty group.
  TestGroup g1, g2, g3, g4;
  g1.weights = {Float32Weight("a", "[1]", {1})};
  g2.weights = {Float32Weight("b", "[1]", {2})};
  std::vector<float> big;
  for (int i = 0; i < 10; ++i) big.push_back(static_cast<float>(i) * 0.5f - 1.0f);
  g3.weights = {Float32Weight("c", "[10]", big)};
  MemoryFiles in, out;
  testing::PutModel(in, {g1, g2, g3, g4});
  TFQ_ASSERT_OK(Write(in, {Target::kKeep, Target::kKeep, Target::kUint16}, out));
  auto sizes = ShardSizes(out);
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_EQ(sizes[0], 4u);
  EXPECT_EQ(sizes[1], 4u);
  EXPECT_LE(sizes.back(), 4u);
  ExpectTfjsCanReadEveryWeight(out);
}

TEST(WriteModel, FinalShardRuleVariousLayouts) {
  struct Layout {
    std::vector<int> group_floats;
    uint64_t shard_size;
  };
  const Layout layouts[] = {
      {{1, 3}, 4194304}, {{2, 3}, 16}, {{1, 1, 5}, 4194304}, {{3, 10}, 4194304},
      {{4, 9}, 16},      {{2, 2, 2}, 8}, {{1, 2}, 4},        {{5}, 8},
  };
  for (const auto& l : layouts) {
    std::vector<TestGroup> groups;
    int k = 0;
    for (int n : l.group_floats) {
      TestGroup g;
      std::vector<float> v;
      for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(++k));
      g.weights = {Float32Weight("w" + std::to_string(k), "[" + std::to_string(n) + "]", v)};
      groups.push_back(g);
    }
    MemoryFiles in, out;
    testing::PutModel(in, groups);
    SCOPED_TRACE("layout with " + std::to_string(groups.size()) + " groups, shard size " + std::to_string(l.shard_size));
    TFQ_ASSERT_OK(Write(in, std::vector<Target>(groups.size(), Target::kKeep), out, l.shard_size));
    ExpectTfjsCanReadEveryWeight(out);
    for (auto s : ShardSizes(out)) EXPECT_LE(s, l.shard_size);
  }
}

// ---------------------------------------------------------------------------
// Values.

TEST(WriteModel, NonFiniteTensorsAreKeptWithAWarning) {
  const float inf = std::numeric_limits<float>::infinity();
  TestGroup g;
  g.weights = {Float32Weight("bad", "[5]", {1.0f, kNaN, 2.0f, inf, -inf}),
               Float32Weight("nan1", "[1]", {kNaN}),
               Float32Weight("good", "[2]", {0.0f, 1.0f})};
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  const std::string in_entries = Manifest(FileText(in, "model.json"));
  auto r = Write(in, {Target::kUint8, Target::kUint16, Target::kUint8}, out);
  TFQ_ASSERT_OK(r);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find("'bad'"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[0].find("1 NaN"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[0].find("2 Inf"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[0].find("uint8"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[1].find("'nan1'"), std::string::npos) << r->warnings[1];
  EXPECT_NE(r->warnings[1].find("1 NaN value;"), std::string::npos) << r->warnings[1];
  EXPECT_EQ(r->tensors[0].nan_count, 1u);
  EXPECT_EQ(r->tensors[0].inf_count, 2u);
  EXPECT_EQ(r->tensors[0].after, Encoding::kRaw);
  EXPECT_EQ(r->tensors[1].after, Encoding::kRaw);
  EXPECT_EQ(r->tensors[2].after, Encoding::kUint8);
  // Stored bytes unchanged, entries unchanged, no NaN in the JSON.
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")),
            Hex(F32LE({1.0f, kNaN, 2.0f, inf, -inf, kNaN})) + "00ff");
  const std::string m = Manifest(FileText(out, "model.json"));
  EXPECT_NE(m.find(R"({"name": "bad", "shape": [5], "dtype": "float32"}, {"name": "nan1", "shape": [1], "dtype": "float32"}, )"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("NaN"), std::string::npos);
  EXPECT_EQ(m.find("Infinity"), std::string::npos);
}

// A source whose files say nothing of being in memory: what a disk gives.
class NotInMemory : public FileSource {
 public:
  explicit NotInMemory(FileSource& inner) : inner_(inner) {}
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override {
    TFQ_ASSIGN_OR_RETURN(auto f, inner_.Open(path));
    struct Plain : RandomAccessFile {
      std::unique_ptr<RandomAccessFile> f;
      uint64_t Size() const override { return f->Size(); }
      Status ReadAt(uint64_t o, std::span<uint8_t> d) const override { return f->ReadAt(o, d); }
    };
    auto p = std::make_unique<Plain>();
    p->f = std::move(f);
    return std::unique_ptr<RandomAccessFile>(std::move(p));
  }

 private:
  FileSource& inner_;
};

// Raw float32 from an in-memory source is quantized in place
// (Model::StoredInMemory); from any other source it is read into a buffer.
// Same bytes either way: aligned and not (after a 1-byte bool), a tensor
// across two shards, and a NaN tensor kept as stored from the source's bytes.
TEST(WriteModel, InPlaceReadWritesWhatTheCopyingReadWrites) {
  std::vector<float> ramp(64);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = std::sin(static_cast<float>(i)) * 3.0f;
  TestGroup g;
  g.weights = {Float32Weight("aligned", "[64]", ramp),
               Float32Weight("nan", "[3]", {1.0f, kNaN, 2.0f}),
               {EntryJson("flag", "[1]", "bool"), std::string(1, '\x01')},
               Float32Weight("misaligned", "[64]", ramp),
               Float32Weight("across", "[64]", ramp)};
  g.shard_size = 600;  // "across" starts in the first shard and ends in the second
  MemoryFiles in;
  testing::PutModel(in, {g});
  auto in_place = Model::Open(in, "model.json");
  TFQ_ASSERT_OK(in_place);
  ASSERT_FALSE(in_place->StoredInMemory(in_place->tensors()[0]).empty());
  ASSERT_FALSE(in_place->StoredInMemory(in_place->tensors()[1]).empty());
  ASSERT_TRUE(in_place->StoredInMemory(in_place->tensors()[4]).empty()) << "spans two shards";
  NotInMemory hidden(in);
  auto copied = Model::Open(hidden, "model.json");
  TFQ_ASSERT_OK(copied);
  ASSERT_TRUE(copied->StoredInMemory(copied->tensors()[0]).empty());
  for (Target t : {Target::kUint8, Target::kUint16, Target::kFloat16}) {
    const std::vector<Target> plan = {t, t, Target::kKeep, t, t};
    MemoryFiles a, b;
    auto ra = WriteModel(*in_place, plan, WriteOptions{}, a);
    auto rb = WriteModel(*copied, plan, WriteOptions{}, b);
    TFQ_ASSERT_OK(ra);
    TFQ_ASSERT_OK(rb);
    EXPECT_EQ(ra->warnings, rb->warnings);
    ASSERT_EQ(a.files, b.files) << static_cast<int>(t);
  }
}

// float16 could hold NaN and Inf (the converter writes them, spec 3.4), but
// docs/format.md documents the departure: a non-finite tensor is left as
// stored for every target encoding, with the warning.
TEST(WriteModel, NonFiniteTensorsAreKeptForFloat16Too) {
  const float inf = std::numeric_limits<float>::infinity();
  TestGroup g;
  g.weights = {Float32Weight("x", "[4]", {1.0f, kNaN, inf, -2.0f})};
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  auto r = Write(in, {Target::kFloat16}, out);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), Hex(F32LE({1.0f, kNaN, inf, -2.0f})));
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("'x'"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[0].find("1 NaN and 1 Inf values"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[0].find("float16"), std::string::npos) << r->warnings[0];
  EXPECT_EQ(Manifest(FileText(out, "model.json")),
            R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "x", "shape": [4], "dtype": "float32"}]}])");
}

// Dequantize: the raw float32 output decodes to exactly what tfjs decoded
// from the quantized input.
TEST(WriteModel, DequantizeKeepsTheDecodedBits) {
  TestGroup g1, g2;
  g1.weights = {
      {EntryJson("u8", "[5]", "float32",
                 R"({"dtype": "uint8", "min": -1.0007843354169061, "scale": 0.008627451167387121, "original_dtype": "float32"})"),
       Unhex("006874aeff")},
      {EntryJson("u16", "[5]", "float32",
                 R"({"dtype": "uint16", "min": -1.0000122288921982, "scale": 3.356984890033899e-05, "original_dtype": "float32"})"),
       Unhex("0000ba685d748baeffff")},
  };
  g2.weights = {
      {EntryJson("f16", "[4]", "float32", R"({"dtype": "float16", "original_dtype": "float32"})"), Unhex("003c00c0007c0100")},
      Float32Weight("raw", "[1]", {0.1f}),
      {EntryJson("b", "[1]", "bool"), Unhex("01")},
  };
  MemoryFiles in, out;
  testing::PutModel(in, {g1, g2});
  auto r = Write(in, std::vector<Target>(5, Target::kRaw), out);
  TFQ_ASSERT_OK(r);
  auto a = OpenModel(in);
  auto b = OpenModel(out);
  TFQ_ASSERT_OK(a);
  TFQ_ASSERT_OK(b);
  for (size_t i = 0; i < 4; ++i) {
    std::vector<float> va, vb;
    TFQ_ASSERT_OK(a->DecodeFloat32(a->tensors()[i], &va));
    TFQ_ASSERT_OK(b->DecodeFloat32(b->tensors()[i], &vb));
    EXPECT_EQ(BitsHex(vb), BitsHex(va)) << i;
    EXPECT_FALSE(b->entry(b->tensors()[i]).quantization.has_value()) << i;
  }
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")),
            "b31980bf3b07d4bd00000000b319003fe77f993f" "670080bf34cfccbd000000009afeff3e3399993f");
  EXPECT_EQ(Manifest(FileText(out, "model.json")),
            R"([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "u8", "shape": [5], "dtype": "float32"}, )"
            R"({"name": "u16", "shape": [5], "dtype": "float32"}]}, {"paths": ["group2-shard1of1.bin"], "weights": )"
            R"([{"name": "f16", "shape": [4], "dtype": "float32"}, {"name": "raw", "shape": [1], "dtype": "float32"}, )"
            R"({"name": "b", "shape": [1], "dtype": "bool"}]}])");
  EXPECT_EQ(r->tensors[2].before, Encoding::kFloat16);
  EXPECT_EQ(r->tensors[2].after, Encoding::kRaw);
  EXPECT_EQ(r->bytes_after, 20u + 20 + 16 + 4 + 1);
}

// Re-quantizing already-quantized input starts from the values tfjs decodes.
TEST(WriteModel, RequantizeStartsFromTfjsDecodedValues) {
  const std::string a_q =
      R"({"dtype": "uint8", "min": -1.0007843354169061, "scale": 0.008627451167387121, "original_dtype": "float32"})";
  TestGroup g;
  g.weights = {
      {EntryJson("to16", "[5]", "float32", a_q), Unhex("006874aeff")},
      {EntryJson("toh", "[5]", "float32", a_q), Unhex("006874aeff")},
      {EntryJson("h2u8", "[3]", "float32", R"({"dtype": "float16", "original_dtype": "float32"})"), Unhex("003c00c00000")},
  };
  MemoryFiles in, out;
  testing::PutModel(in, {g});
  auto r = Write(in, {Target::kUint16, Target::kFloat16, Target::kUint8}, out);
  TFQ_ASSERT_OK(r);

  // Expected: spec 7 A's decoded floats, quantized again.
  const std::vector<float> a = {testing::FloatFromBits(0xbf8019b3), testing::FloatFromBits(0xbdd4073b), 0.0f,
                                testing::FloatFromBits(0x3f0019b3), testing::FloatFromBits(0x3f997fe7)};
  AffineParams p16 = ComputeAffineParams(a[0], a[4], 65535);
  std::vector<uint8_t> q16(10), h(10), q8(3);
  QuantizeAffine(a, p16, Encoding::kUint16, Arithmetic::kFloat64, q16.data());
  QuantizeFloat16(a, h.data());
  const std::vector<float> hv = {1.0f, -2.0f, 0.0f};
  AffineParams p8 = ComputeAffineParams(-2.0f, 1.0f, 255);
  QuantizeAffine(hv, p8, Encoding::kUint8, Arithmetic::kFloat64, q8.data());
  EXPECT_EQ(Hex(FileText(out, "group1-shard1of1.bin")), Hex(q16) + Hex(h) + Hex(q8));
  // By hand: float16 of A's decoded values, and [1, -2, 0] over [-2, 1] in uint8.
  EXPECT_EQ(Hex(h), "01bca0ae00000138cc3c");
  EXPECT_EQ(Hex(q8), "ff00aa");
  const std::string m = Manifest(FileText(out, "model.json"));
  EXPECT_NE(m.find(R"("name": "to16", "shape": [5], "dtype": "float32", "quantization": {"dtype": "uint16", "min": )"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(R"("name": "h2u8", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -2.0, )"
                   R"("scale": 0.011764705882352941, "original_dtype": "float32"})"),
            std::string::npos)
      << m;
  EXPECT_EQ(r->tensors[0].before, Encoding::kUint8);
  EXPECT_EQ(r->tensors[0].after, Encoding::kUint16);
}

TEST(WriteModel, NumpyOneArithmeticOption) {
  TestGroup g;
  g.weights = {Float32Weight("b2", "[4]", {0.0f, 0.25f, 0.5f, 1.0f})};
  MemoryFiles in, out64, out32;
  testing::PutModel(in, {g});
  auto m = OpenModel(in);
  TFQ_ASSERT_OK(m);
  std::vector<Target> plan = {Target::kUint8};
  WriteOptions opt;
  TFQ_ASSERT_OK(WriteModel(*m, plan, opt, out64));
  opt.arithmetic = Arithmetic::kNumpy1Float32;
  TFQ_ASSERT_OK(WriteModel(*m, plan, opt, out32));
  EXPECT_EQ(Hex(FileText(out64, "group1-shard1of1.bin")), "004080ff");
  EXPECT_EQ(Hex(FileText(out32, "group1-shard1of1.bin")), "00407fff");
  EXPECT_EQ(FileText(out64, "model.json"), FileText(out32, "model.json"));
}

TEST(WriteModel, Deterministic) {
  TestGroup g1, g2;
  std::vector<float> v;
  for (int i = 0; i < 300; ++i) v.push_back(std::sin(static_cast<float>(i)) * 3.0f);
  g1.weights = {Float32Weight("a", "[300]", v), Float32Weight("b", "[3]", {1, 2, 3})};
  g2.weights = {Float32Weight("c", "[300]", v), {EntryJson("s", "[1]", "string"), testing::StringsLE({"xyz"})}};
  MemoryFiles in, out1, out2;
  testing::PutModel(in, {g1, g2});
  const std::vector<Target> plan = {Target::kUint8, Target::kFloat16, Target::kUint16, Target::kKeep};
  auto r1 = Write(in, plan, out1, 100);
  auto r2 = Write(in, plan, out2, 100);
  TFQ_ASSERT_OK(r1);
  TFQ_ASSERT_OK(r2);
  EXPECT_EQ(out1.files, out2.files);
  EXPECT_EQ(r1->files, r2->files);
  // And writing the output again with everything kept changes nothing.
  MemoryFiles out3;
  auto r3 = Write(out1, std::vector<Target>(4, Target::kKeep), out3, 100);
  TFQ_ASSERT_OK(r3);
  EXPECT_EQ(out3.files, out1.files);
  ExpectTfjsCanReadEveryWeight(out1);
}

TEST(WriteModel, DuplicateTopLevelManifestKeyWritesALoadableModel) {
  MemoryFiles in, out;
  in.Put("a.bin", F32LE({1, 2}));
  in.Put("b.bin", F32LE({3, 4, 5, 6}));
  in.Put("model.json",
         R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}], )"
         R"("format": "layers-model", )"
         R"("weightsManifest": [{"paths": ["b.bin"], "weights": [{"name": "v", "shape": [4], "dtype": "float32"}]}]})");
  auto m = OpenModel(in);
  if (!m.ok()) return;  // refusing the file is fine too
  std::vector<Target> plan(m->tensors().size(), Target::kUint8);
  TFQ_ASSERT_OK(WriteModel(*m, plan, WriteOptions{}, out));
  // What a JSON parser (last key wins) reads from our output must load.
  auto back = OpenModel(out);
  TFQ_ASSERT_OK(back);
  ASSERT_EQ(back->tensors().size(), 1u);
  EXPECT_EQ(back->entry(back->tensors()[0]).encoding(), Encoding::kUint8);
}

}  // namespace
}  // namespace tfq
