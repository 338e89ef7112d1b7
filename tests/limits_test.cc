// SPDX-License-Identifier: Apache-2.0
// The core on hostile input, in memory: every Limits field refuses what
// exceeds it with kLimitExceeded before allocating for it; nesting far
// deeper than any stack is refused without recursion; NUL bytes, paths a
// browser would read differently and huge or unprintable names give short,
// printable messages; a model with thousands of shards never has more than
// one open; SpanFiles reads the caller's bytes in place.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "json/json.h"
#include "testutil.h"
#include "tfjs_quant/limits.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/text.h"
#include "tfjs_quant/writer.h"

namespace tfq {
namespace {

using testing::EntryJson;
using testing::ExpectError;
using testing::F32LE;
using testing::StatusText;


// A standalone manifest of `groups` groups, each with `per_group` one-float
// weights in a shard of its own.
std::string Manifest(MemoryFiles& files, size_t groups, size_t per_group) {
  std::string m = "[";
  for (size_t g = 0; g < groups; ++g) {
    const std::string shard = "g" + std::to_string(g) + ".bin";
    std::string bytes, weights;
    for (size_t i = 0; i < per_group; ++i) {
      weights += (i ? ", " : "") + EntryJson("w" + std::to_string(g) + "_" + std::to_string(i), "[1]", "float32");
      bytes += F32LE({1.0f});
    }
    files.Put(shard, bytes);
    m += std::string(g ? ", " : "") + "{\"paths\": [\"" + shard + "\"], \"weights\": [" + weights + "]}";
  }
  return m + "]";
}

Result<Model> OpenText(MemoryFiles& files, const std::string& json, const Limits& limits = {}) {
  files.Put("m.json", json);
  return Model::Open(files, "m.json", limits);
}

// ------------------------------------------------------------------ text

TEST(Printable, EscapesWhatWouldDriveATerminal) {
  EXPECT_EQ(Printable("conv1/kernel"), "conv1/kernel");
  EXPECT_EQ(Printable("a\x1b[31mred\nb\tc\rd"), "a\\x1b[31mred\\nb\\tc\\rd");
  EXPECT_EQ(Printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(Printable("\x7f"), "\\x7f");
  EXPECT_EQ(Printable("\xff\xfe"), "\\xff\\xfe");             // not UTF-8
  EXPECT_EQ(Printable("\xc0\xaf"), "\\xc0\\xaf");             // overlong '/'
  EXPECT_EQ(Printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");     // a surrogate
  EXPECT_EQ(Printable("\xc2\x9b"), "\\u009b");                 // C1 CSI
  EXPECT_EQ(Printable("x\xe2\x80\xaey"), "x\\u202ey");         // right-to-left override
  EXPECT_EQ(Printable("caf\xc3\xa9 \xe6\x9d\x83"), "caf\xc3\xa9 \xe6\x9d\x83");  // kept as it is
  EXPECT_EQ(Quoted("w"), "'w'");
}

TEST(Printable, CutsLongTextAndSaysHowLong) {
  const std::string big(16 << 20, 'x');
  const std::string p = Printable(big, 20);
  EXPECT_EQ(p, std::string(20, 'x') + "...(16777216 bytes)");
  // Never in the middle of a character.
  EXPECT_EQ(Printable("\xc3\xa9\xc3\xa9\xc3\xa9", 5), "\xc3\xa9\xc3\xa9...(6 bytes)");
}

// ------------------------------------------------------------------ JSON

TEST(JsonLimits, NestingFarBeyondTheStackIsRefusedWithItsPlace) {
  const size_t n = 200000;
  const std::string deep = "{\"a\": 1,\n\"modelTopology\": " + std::string(n, '[') + std::string(n, ']') + "}";
  auto r = json::Parse(deep, "model.json");
  ExpectError(r, StatusCode::kLimitExceeded, {"model.json: line 2, column 1017: ", "deeper than 1000 levels",
                                              "the limit json_depth (1000)"});
  json::ParseOptions o;
  o.max_depth = n + 1;  // raised: parsed, dumped and freed without recursion
  auto ok = json::Parse(deep, "model.json", o);
  TFQ_ASSERT_OK(ok);
  const std::string dumped = json::DumpPython(*ok);
  EXPECT_EQ(dumped.size(), 2 * n + std::string("{\"a\": 1, \"modelTopology\": }").size());
}

TEST(JsonLimits, NulBytesAreNotJson) {
  auto after = json::Parse(std::string("{\"a\": 1}\0trailing", 17), "model.json");
  ExpectError(after, StatusCode::kParseError, {"model.json: invalid JSON at line 1, column 9: a NUL byte"});
  auto inside = json::Parse(std::string("[\"a\0b\"]", 7), "m.json");
  ExpectError(inside, StatusCode::kParseError, {"line 1, column 4: a NUL byte"});
}

TEST(JsonLimits, FilterKeepsOnlyWhatIsAsked) {
  // Keep "keep" whole and nothing else; the dropped parts are still checked.
  static constexpr auto child = [](int parent, std::optional<std::string_view> key) {
    return parent == 1 && key && *key == "keep" ? json::Filter::kKeepAll : json::Filter::kDrop;
  };
  const json::Filter f{1, +child};
  json::ParseOptions o;
  o.filter = &f;
  auto r = json::Parse(R"({"drop": [1, {"x": 2}], "keep": {"y": [3]}, "z": "s"})", "t", o);
  TFQ_ASSERT_OK(r);
  EXPECT_EQ(json::DumpPython(*r), R"({"keep": {"y": [3]}})");
  ExpectError(json::Parse(R"({"drop": [1, }, "keep": 1})", "t", o), StatusCode::kParseError, {"t: invalid JSON"});
}

TEST(JsonLimits, DescribeCutsLongStrings) {
  const std::string d = json::Describe(json::Json(std::string(16 << 20, 'f')));
  EXPECT_LT(d.size(), 120u) << d;
  EXPECT_NE(d.find("(16777216 bytes)"), std::string::npos) << d;
}

// ------------------------------------------------------- manifest limits

TEST(ManifestLimits, EachLimitHasItsNameInTheMessage) {
  MemoryFiles files;
  const std::string two = Manifest(files, 2, 3);  // 2 groups, 6 weights, 2 shards
  TFQ_EXPECT_OK(OpenText(files, two));
  Limits l;
  l.groups = 1;
  ExpectError(OpenText(files, two, l), StatusCode::kLimitExceeded, {"m.json: top level: 2 weight groups exceed the limit groups (1)"});
  l = {};
  l.weights = 5;
  ExpectError(OpenText(files, two, l), StatusCode::kLimitExceeded,
              {"m.json: [1].weights[2]: more than 5 weights exceed the limit weights (5)"});
  l = {};
  l.shards = 1;
  ExpectError(OpenText(files, two, l), StatusCode::kLimitExceeded, {"m.json: [1].paths", "the limit shards (1)"});
  l = {};
  l.json_bytes = 100;
  ExpectError(OpenText(files, two, l), StatusCode::kLimitExceeded, {"'m.json': ", "bytes exceed the limit json_bytes (100)"});
  l = {};
  l.json_depth = 2;
  ExpectError(OpenText(files, two, l), StatusCode::kLimitExceeded, {"the limit json_depth (2)"});
}

TEST(ManifestLimits, RankAndElements) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  const std::string rank33 = "[" + std::string(32 * 3, ' ') + "]";
  std::string shape = "[";
  for (int i = 0; i < 33; ++i) shape += (i ? ", 1" : "1");
  shape += "]";
  auto r = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("a", shape, "float32") + "]}]");
  ExpectError(r, StatusCode::kLimitExceeded, {"[0].weights[0].shape", "'a' has 33 dimensions", "the limit rank (32)"});
  Limits l;
  l.tensor_elements = 100;
  auto e = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("a", "[10, 11]", "float32") + "]}]", l);
  ExpectError(e, StatusCode::kLimitExceeded, {"'a' has 110 elements", "the limit tensor_elements (100)"});
  // Terabytes claimed with the default limits: refused before any read.
  auto tb = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("a", "[1048576, 1048576]", "float32") + "]}]");
  ExpectError(tb, StatusCode::kLimitExceeded, {"'a' has 1099511627776 elements"});
}

TEST(ManifestLimits, StringWeightBytes) {
  MemoryFiles files;
  files.Put("g.bin", testing::StringsLE({"abcdefgh", "ij"}));
  const std::string m = "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("s", "[2]", "string") + "]}]";
  TFQ_EXPECT_OK(OpenText(files, m));
  Limits l;
  l.string_bytes = 12;
  ExpectError(OpenText(files, m, l), StatusCode::kLimitExceeded, {"string weight 's'", "the limit string_bytes (12)"});
}

TEST(ManifestLimits, SetLimitByName) {
  Limits l;
  TFQ_EXPECT_OK(SetLimit(&l, "json_depth", 5000));
  EXPECT_EQ(l.json_depth, 5000u);
  ExpectError(Result<int>(SetLimit(&l, "depth", 1)), StatusCode::kInvalidArgument, {"unknown limit 'depth'", "json_depth"});
  ExpectError(Result<int>(SetLimit(&l, "rank", 0)), StatusCode::kInvalidArgument, {"limit rank must be from 1 to 1024"});
  // No limit goes past what the byte arithmetic holds (2^53 bytes).
  ExpectError(Result<int>(SetLimit(&l, "tensor_elements", uint64_t{1} << 60)), StatusCode::kInvalidArgument,
              {"limit tensor_elements must be from 1 to 1125899906842624"});
  Limits by_hand;
  by_hand.tensor_elements = UINT64_MAX;  // set directly: the parser still caps it
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  auto r = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" +
                               EntryJson("a", "[2147483648, 2147483648]", "float32") + "]}]", by_hand);
  ExpectError(r, StatusCode::kLimitExceeded, {"the limit tensor_elements (1125899906842624)"});
}

// -------------------------------------------------------------- messages

TEST(ManifestMessages, HugeAndUnprintableStringsAreCut) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1}));
  const std::string dtype(16 << 20, 'q');
  auto r = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("a", "[1]", dtype) + "]}]");
  ExpectError(r, StatusCode::kUnsupported, {"unknown dtype", "(16777216 bytes)"});
  EXPECT_LT(r.status().message().size(), 400u);
  auto esc = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" +
                                 EntryJson("evil\\u001b[2J\\nname", "[1]", "float64") + "]}]");
  ExpectError(esc, StatusCode::kUnsupported, {"weight 'evil\\x1b[2J\\nname' has unknown dtype"});
  const std::string path(1 << 20, 'p');
  auto p = OpenText(files, "[{\"paths\": [\"" + path + "\"], \"weights\": []}]");
  ExpectError(p, StatusCode::kUnsafePath, {"[0].paths[0]", "longer than 4096 bytes"});
  EXPECT_LT(p.status().message().size(), 400u);
}

TEST(ManifestPaths, WhatABrowserWouldReadDifferentlyIsRefused) {
  for (const char* bad : {"a\\\\b.bin", "C:x.bin", "https://host/x.bin", "x.bin?v=1", "x.bin#f", "a\\u0001.bin", "/abs.bin",
                          "../x.bin", "a/../../x.bin", ".", "", "a\\u0000b"}) {
    MemoryFiles files;
    auto r = OpenText(files, std::string("[{\"paths\": [\"") + bad + "\"], \"weights\": []}]");
    ExpectError(r, StatusCode::kUnsafePath, {"m.json: [0].paths[0]: "});
  }
  auto ok = CheckRelativePath("sub/./x/../w.bin");
  TFQ_ASSERT_OK(ok);
  EXPECT_EQ(*ok, "sub/w.bin");
}

TEST(ModelMessages, ALongShardIsNamed) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1, 2}) + "x");
  auto r = OpenText(files, "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("a", "[2]", "float32") + "]}]");
  ExpectError(r, StatusCode::kFormatError,
              {"m.json: [0]: the manifest describes 8 bytes of weights but the shards ('g.bin') hold 9 bytes (1 byte too many)"});
}

// ------------------------------------------------------- files and memory

// A source that counts the files open at once.
class CountingSource : public FileSource {
 public:
  explicit CountingSource(FileSource& inner) : inner_(inner) {}
  Result<std::unique_ptr<RandomAccessFile>> Open(std::string_view path) override {
    TFQ_ASSIGN_OR_RETURN(auto f, inner_.Open(path));
    max_open = std::max(max_open, ++open_);
    return std::unique_ptr<RandomAccessFile>(new Counted(std::move(f), open_));
  }
  int max_open = 0;

 private:
  class Counted : public RandomAccessFile {
   public:
    Counted(std::unique_ptr<RandomAccessFile> f, int& open) : f_(std::move(f)), open_(open) {}
    ~Counted() override { --open_; }
    uint64_t Size() const override { return f_->Size(); }
    Status ReadAt(uint64_t o, std::span<uint8_t> d) const override { return f_->ReadAt(o, d); }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    int& open_;
  };
  FileSource& inner_;
  int open_ = 0;
};

TEST(ModelFiles, ThousandsOfShardsAreNeverOpenAtOnce) {
  MemoryFiles files;
  const std::string m = Manifest(files, 3000, 1);
  files.Put("m.json", m);
  CountingSource counting(files);
  Limits l;
  l.groups = 5000;
  auto model = Model::Open(counting, "m.json", l);
  TFQ_ASSERT_OK(model);
  std::vector<float> x;
  for (const auto& t : model->tensors()) TFQ_ASSERT_OK(model->DecodeFloat32(t, &x));
  EXPECT_EQ(counting.max_open, 1);
}

TEST(ModelFiles, ManyEmptyStringsAreWalkedInChunks) {
  // 2^22 empty strings: 16 MiB of length prefixes, read a chunk at a time.
  const size_t n = size_t{1} << 22;
  MemoryFiles files;
  files.Put("g.bin", std::string(4 * n, '\0'));
  CountingSource counting(files);
  counting.max_open = 0;
  files.Put("m.json", "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("s", "[" + std::to_string(n) + "]", "string") + "]}]");
  auto model = Model::Open(counting, "m.json");
  TFQ_ASSERT_OK(model);
  EXPECT_EQ(model->tensors()[0].byte_size, 4 * n);
}

TEST(SpanFiles, ReadsTheCallersBytesInPlace) {
  std::string shard = F32LE({1.0f, 2.0f});
  const std::string json = "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("w", "[2]", "float32") + "]}]";
  SpanFiles files;
  files.Add("m.json", json);
  files.Add("g.bin", shard);
  auto model = Model::Open(files, "m.json");
  TFQ_ASSERT_OK(model);
  std::vector<float> x;
  TFQ_ASSERT_OK(model->DecodeFloat32(model->tensors()[0], &x));
  EXPECT_EQ(x, (std::vector<float>{1.0f, 2.0f}));
  // No copy was made: a change to the caller's bytes is what the model reads.
  const std::string three = F32LE({3.0f});
  shard.replace(0, 4, three);
  TFQ_ASSERT_OK(model->DecodeFloat32(model->tensors()[0], &x));
  EXPECT_EQ(x, (std::vector<float>{3.0f, 2.0f}));
}

TEST(SpanFiles, AShardThatChangesSizeIsAnError) {
  MemoryFiles files;
  files.Put("g.bin", F32LE({1.0f, 2.0f}));
  files.Put("m.json", "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("w", "[2]", "float32") + "]}]");
  auto model = Model::Open(files, "m.json");
  TFQ_ASSERT_OK(model);
  files.Put("g.bin", F32LE({1.0f}));
  std::vector<float> x;
  Status s = model->DecodeFloat32(model->tensors()[0], &x);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("changed size while being read (from 8 bytes to 4 bytes)"), std::string::npos) << s.message();
}

// ------------------------------------------------------------ the writer

TEST(WriterLimits, TooManyOutputShardsIsRefusedBeforeWriting) {
  MemoryFiles in, out;
  in.Put("g.bin", F32LE(std::vector<float>(100, 1.0f)));
  in.Put("m.json", "[{\"paths\": [\"g.bin\"], \"weights\": [" + EntryJson("w", "[100]", "float32") + "]}]");
  Limits l;
  l.shards = 50;
  auto model = Model::Open(in, "m.json", l);
  TFQ_ASSERT_OK(model);
  WriteOptions o;
  o.shard_size_bytes = 1;
  auto r = WriteModel(*model, std::vector<Target>{Target::kUint8}, o, out);
  ExpectError(r, StatusCode::kLimitExceeded,
              {"the output would need 100 shard files of at most 1 byte, more than the limit shards (50) allows"});
  EXPECT_TRUE(out.files.empty());
  o.shard_size_bytes = 2;
  TFQ_EXPECT_OK(WriteModel(*model, std::vector<Target>{Target::kUint8}, o, out));
}

// Runs tasks in reverse order, one at a time: the bytes must not change.
class ReverseExecutor : public Executor {
 public:
  int concurrency() const override { return 3; }
  void ForEach(size_t count, const std::function<void(size_t)>& task) override {
    ++calls;
    for (size_t i = count; i-- > 0;) task(i);
  }
  int calls = 0;
};

TEST(WriterExecutor, AnyExecutorGivesTheSameBytes) {
  MemoryFiles in;
  std::string bytes, weights;
  for (int t = 0; t < 5; ++t) {
    std::vector<float> v((t == 2 ? 300000 : 20000));
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.001f * static_cast<float>(i * (t + 1)));
    bytes += F32LE(v);
    weights += (t ? ", " : "") + EntryJson("w" + std::to_string(t), "[" + std::to_string(v.size()) + "]", "float32");
  }
  in.Put("g.bin", bytes);
  in.Put("m.json", "[{\"paths\": [\"g.bin\"], \"weights\": [" + weights + "]}]");
  auto model = Model::Open(in, "m.json");
  TFQ_ASSERT_OK(model);
  for (Target t : {Target::kUint8, Target::kFloat16}) {
    MemoryFiles serial, reversed;
    WriteOptions o;
    o.shard_size_bytes = 100000;
    TFQ_ASSERT_OK(WriteModel(*model, std::vector<Target>(5, t), o, serial));
    ReverseExecutor ex;
    o.executor = &ex;
    TFQ_ASSERT_OK(WriteModel(*model, std::vector<Target>(5, t), o, reversed));
    EXPECT_GT(ex.calls, 0);
    EXPECT_EQ(serial.files, reversed.files);
  }
}

// Every status code has its own two spellings: the CLI maps codes, the
// JavaScript package shows the id, neither reads message text.
TEST(StatusCode, EachHasItsOwnNameAndId) {
  std::set<std::string> names, ids;
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    names.insert(StatusCodeName(static_cast<StatusCode>(c)));
    ids.insert(StatusCodeId(static_cast<StatusCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(StatusCode::kInternal) + 1);
  EXPECT_EQ(ids.size(), names.size());
  EXPECT_STREQ(StatusCodeId(StatusCode::kLimitExceeded), "LIMIT_EXCEEDED");
}

}  // namespace
}  // namespace tfq
