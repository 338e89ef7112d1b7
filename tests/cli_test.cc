// SPDX-License-Identifier: Apache-2.0
// The tfjs-quant command line as a user runs it: the real binary, in fresh
// temporary folders. Each test checks the exit code, the stderr message, the
// stdout summary and the file system afterwards; every run also checks that
// the input was not modified.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <regex>
#include <thread>

#include "cli_util.h"

namespace {

using namespace cli_util;

const std::string kBin = TFJS_QUANT_BIN;

#define EXPECT_CONTAINS(hay, needle)                                                   \
  EXPECT_NE(std::string(hay).find(needle), std::string::npos)                          \
      << "expected to find: " << (needle) << "\nin:\n" << (hay)
#define EXPECT_NOT_CONTAINS(hay, needle)                                               \
  EXPECT_EQ(std::string(hay).find(needle), std::string::npos)                          \
      << "expected not to find: " << (needle) << "\nin:\n" << (hay)

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

bool Matches(const std::string& text, const std::string& re) { return std::regex_search(text, std::regex(re)); }

// conv1/kernel is spec vector A, conv1/bias B2, dense/kernel C; 60 bytes.
std::vector<Weight> StdWeights() {
  return {
      {"conv1/kernel", {5}, "float32", F32({-1.0f, -0.1f, 0.0f, 0.5f, 1.2f})},
      {"conv1/bias", {4}, "float32", F32({0.0f, 0.25f, 0.5f, 1.0f})},
      {"dense/kernel", {2, 2}, "float32", F32({-3.0f, -2.5f, -1.0f, -0.25f})},
      {"shape_const", {2}, "int32", I32({7, 8})},
  };
}

class CliTest : public ::testing::Test {
 protected:
  TempDir tmp;
  const fs::path in = tmp / "in";  // every input model lives below here

  // Writes the standard graph model into in/<name> and returns that folder.
  // A uint8-quantized model whose first weight's "min" is written as
  // `spelling` in the JSON text (NaN, 1e999: what no JSON writer produces).
  fs::path ModelWithMinSpelled(const std::string& spelling) {
    fs::path m = StdModel();
    auto ws = StdWeights();
    ws[0].data = std::string("\x00\x68\x74\xae\xff", 5);
    ws[0].quantization = {{"dtype", "uint8"}, {"min", 12345.5}, {"scale", 0.01}};
    WriteGraphModel(m, ws);
    std::string text = ReadFile(m / "model.json");
    size_t at = text.find("12345.5");
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) WriteFile(m / "model.json", text.replace(at, 7, spelling));
    return m;
  }

  fs::path StdModel(const std::string& name = "m") {
    fs::path dir = in / name;
    WriteGraphModel(dir, StdWeights());
    return dir;
  }

  // Runs the CLI; checks that nothing below `in` changed.
  RunResult Tool(const std::vector<std::string>& args, const fs::path& cwd = {}) {
    auto before = Snapshot(in);
    RunResult r = cli_util::Run(kBin, args, cwd);
    EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << ": " << Join(args);
    EXPECT_EQ(before, Snapshot(in)) << "the input was modified by: tfjs-quant " << Join(args);
    return r;
  }

  // A successful run: exit 0 and no error on stderr.
  RunResult Ok(const std::vector<std::string>& args) {
    RunResult r = Tool(args);
    EXPECT_EQ(r.code, 0) << "tfjs-quant " << Join(args) << "\nstderr:\n" << r.err;
    EXPECT_NOT_CONTAINS(r.err, "error");
    return r;
  }

  // A refused run: the exit code, one "tfjs-quant: error:" message holding
  // every needle, no summary, and nothing at `out` or beside it.
  RunResult Refused(const std::vector<std::string>& args, int code, const fs::path& out,
                    const std::vector<std::string>& needles) {
    RunResult r = Tool(args);
    EXPECT_EQ(r.code, code) << "tfjs-quant " << Join(args) << "\nstderr:\n" << r.err;
    EXPECT_CONTAINS(r.err, "tfjs-quant: error: ");
    for (const auto& n : needles) EXPECT_CONTAINS(r.err, n);
    EXPECT_EQ(r.out, "") << "no summary expected on failure";
    ExpectNothingAt(out);
    return r;
  }

  static void ExpectNothingAt(const fs::path& out) {
    EXPECT_FALSE(fs::exists(fs::symlink_status(out))) << out << " was created";
    EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{}) << "leftover temporary folder beside " << out;
  }

  // Rewrites in/<dir>/model.json through `edit`.
  template <typename F>
  void EditJson(const fs::path& dir, F edit, const std::string& json_name = "model.json") {
    json j = json::parse(ReadFile(dir / json_name));
    edit(j);
    WriteFile(dir / json_name, j.dump());
  }
};

// ------------------------------------------------------------- happy paths

TEST_F(CliTest, QuantizeUint8FolderInput) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), "--quantize_uint8"});
  EXPECT_EQ(r.err, "");

  Loaded l = Load(out);
  // Only the JSON and the one shard, named as the converter names it.
  auto files = FilesIn(out);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_TRUE(files.count("model.json"));
  EXPECT_TRUE(files.count("group1-shard1of1.bin"));
  EXPECT_EQ(Manifest(l.root)[0]["paths"], json::array({"group1-shard1of1.bin"}));

  // Spec 7 A, B2 and C (float64 arithmetic).
  const json& k = l.entries["conv1/kernel"];
  EXPECT_EQ(k["dtype"], "float32");
  EXPECT_EQ(k["quantization"]["dtype"], "uint8");
  EXPECT_EQ(k["quantization"]["min"].get<double>(), -1.0007843354169061);
  EXPECT_EQ(k["quantization"]["scale"].get<double>(), 0.008627451167387121);
  EXPECT_EQ(k["quantization"]["original_dtype"], "float32");
  EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "006874aeff");
  EXPECT_EQ(Hex(l.stored["conv1/bias"]), "004080ff");
  EXPECT_TRUE(std::signbit(l.entries["conv1/bias"]["quantization"]["min"].get<double>()));
  EXPECT_EQ(Hex(l.stored["dense/kernel"]), "002eb9ff");
  EXPECT_EQ(l.entries["dense/kernel"]["quantization"]["min"].get<double>(), -3.0);
  // int32 is never quantized.
  EXPECT_FALSE(l.entries["shape_const"].contains("quantization"));
  EXPECT_EQ(l.stored["shape_const"], I32({7, 8}));

  // Everything outside the manifest is kept byte for byte.
  std::string in_text = ReadFile(m / "model.json"), out_text = ReadFile(out / "model.json");
  size_t cut = in_text.find("\"weightsManifest\"");
  ASSERT_NE(cut, std::string::npos);
  EXPECT_EQ(out_text.substr(0, cut), in_text.substr(0, cut));

  // The summary: input, per-encoding rows, totals, output.
  EXPECT_CONTAINS(r.out, (m / "model.json").string() + ": 4 weights, 60 bytes (graph-model)");
  EXPECT_TRUE(Matches(r.out, R"(float32 -> uint8\s+3\s+52\s+13\n)")) << r.out;
  EXPECT_TRUE(Matches(r.out, R"(int32 \(kept\)\s+1\s+8\s+8\n)")) << r.out;
  EXPECT_TRUE(Matches(r.out, R"(total\s+4\s+60\s+21\s+\(35\.0%\))")) << r.out;
  EXPECT_CONTAINS(r.out, "wrote " + out.string() + ": model.json + 1 shard\n");
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
}

class CliSpelling : public CliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CliSpelling, Uint16) {
  std::string flag = std::string(GetParam()) + "uint16";
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), flag});
  Loaded l = Load(out);
  const json& q = l.entries["conv1/kernel"]["quantization"];
  EXPECT_EQ(q["dtype"], "uint16");
  EXPECT_EQ(q["min"].get<double>(), -1.0000122288921982);  // spec 7 A16
  EXPECT_EQ(q["scale"].get<double>(), 3.356984890033899e-05);
  EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "0000ba685d748baeffff");
  EXPECT_EQ(l.entries["dense/kernel"]["quantization"]["dtype"], "uint16");
  EXPECT_FALSE(l.entries["shape_const"].contains("quantization"));
  EXPECT_TRUE(Matches(r.out, R"(float32 -> uint16\s+3\s+52\s+26\n)")) << r.out;
  EXPECT_TRUE(Matches(r.out, R"(total\s+4\s+60\s+34)")) << r.out;
}

TEST_P(CliSpelling, Float16) {
  std::string flag = std::string(GetParam()) + "float16";
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), flag});
  Loaded l = Load(out);
  // float16 carries no min/scale (spec 1.3).
  EXPECT_EQ(l.entries["conv1/kernel"]["quantization"], json({{"dtype", "float16"}, {"original_dtype", "float32"}}));
  EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "00bc66ae00000038cd3c");
  EXPECT_EQ(Hex(l.stored["conv1/bias"]), "000000340038003c");
  EXPECT_EQ(Hex(l.stored["dense/kernel"]), "00c200c100bc00b4");
  EXPECT_TRUE(Matches(r.out, R"(float32 -> float16\s+3\s+52\s+26\n)")) << r.out;
}

TEST_P(CliSpelling, Uint8) {
  std::string flag = std::string(GetParam()) + "uint8";
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  Ok({"quantize", m.string(), out.string(), flag});
  Loaded l = Load(out);
  EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "006874aeff");
  EXPECT_EQ(l.entries["conv1/kernel"]["quantization"]["dtype"], "uint8");
}

INSTANTIATE_TEST_SUITE_P(LongAndShort, CliSpelling, ::testing::Values("--quantize_", "--"),
                         [](const auto& info) { return std::string(info.index == 0 ? "Long" : "Short"); });

// Many tools spell flags with '-': the converter's flags (and so ours) use
// '_'. The other spelling of a flag the command has is named.
TEST_F(CliTest, DashedSpellingOfAFlagGetsDidYouMean) {
  fs::path m = StdModel();
  RunResult r = Tool({"quantize", m.string(), (tmp / "out").string(), "--quantize-uint8"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("Did you mean --quantize_uint8?"), std::string::npos) << r.err;
  r = Tool({"quantize", m.string(), (tmp / "out").string(), "--weight-shard-size-bytes=8"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("Did you mean --weight_shard_size_bytes?"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out"));
}

// What the flags asked for that changes nothing is said, once, as a warning.
TEST_F(CliTest, PatternsThatMatchNothingAreWarnedOf) {
  fs::path m = StdModel();
  RunResult r = Ok({"quantize", m.string(), (tmp / "a").string(), "--quantize_uint8=conv9/*", "--skip=nope"});
  EXPECT_NE(r.err.find("tfjs-quant: warning: uint8 pattern 'conv9/*' matches no weight\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tfjs-quant: warning: skip pattern 'nope' matches no weight\n"), std::string::npos) << r.err;
  r = Ok({"quantize", m.string(), (tmp / "b").string()});
  EXPECT_NE(r.err.find("tfjs-quant: warning: no encoding was asked for"), std::string::npos) << r.err;
}

TEST_F(CliTest, PatternListWithFallthrough) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), "--quantize_uint8=conv1/k*,dense/kernel",
                    "--quantize_float16"});
  Loaded l = Load(out);
  EXPECT_EQ(l.entries["conv1/kernel"]["quantization"]["dtype"], "uint8");
  EXPECT_EQ(l.entries["dense/kernel"]["quantization"]["dtype"], "uint8");
  EXPECT_EQ(l.entries["conv1/bias"]["quantization"]["dtype"], "float16");
  EXPECT_FALSE(l.entries["shape_const"].contains("quantization"));
  EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "006874aeff");
  EXPECT_EQ(Hex(l.stored["conv1/bias"]), "000000340038003c");
  EXPECT_TRUE(Matches(r.out, R"(float32 -> float16\s+1\s+16\s+8\n)")) << r.out;
  EXPECT_TRUE(Matches(r.out, R"(float32 -> uint8\s+2\s+36\s+9\n)")) << r.out;
  EXPECT_TRUE(Matches(r.out, R"(total\s+4\s+60\s+25)")) << r.out;
}

TEST_F(CliTest, PatternsWithoutFallthroughKeepTheRest) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), "--uint16=conv1/*"});
  Loaded l = Load(out);
  EXPECT_EQ(l.entries["conv1/kernel"]["quantization"]["dtype"], "uint16");
  EXPECT_EQ(l.entries["conv1/bias"]["quantization"]["dtype"], "uint16");
  EXPECT_FALSE(l.entries["dense/kernel"].contains("quantization"));
  EXPECT_EQ(l.stored["dense/kernel"], F32({-3.0f, -2.5f, -1.0f, -0.25f}));
  EXPECT_TRUE(Matches(r.out, R"(float32 \(kept\)\s+1\s+16\s+16\n)")) << r.out;
}

// "--quantize_uint8=" is the one pattern "", which matches nothing (spec 4);
// it is not a second fallthrough.
TEST_F(CliTest, EmptyPatternListMatchesNothing) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  Ok({"quantize", m.string(), out.string(), "--quantize_uint8=", "--quantize_float16"});
  Loaded l = Load(out);
  for (const char* n : {"conv1/kernel", "conv1/bias", "dense/kernel"})
    EXPECT_EQ(l.entries[n]["quantization"]["dtype"], "float16") << n;
}

TEST_F(CliTest, SkipKeepsMatchingWeightsAsStored) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), "--quantize_uint8", "--skip", "conv1/*"});
  Loaded l = Load(out);
  EXPECT_FALSE(l.entries["conv1/kernel"].contains("quantization"));
  EXPECT_FALSE(l.entries["conv1/bias"].contains("quantization"));
  EXPECT_EQ(l.stored["conv1/kernel"], StdWeights()[0].data);
  EXPECT_EQ(l.stored["conv1/bias"], StdWeights()[1].data);
  EXPECT_EQ(l.entries["dense/kernel"]["quantization"]["dtype"], "uint8");
  EXPECT_TRUE(Matches(r.out, R"(float32 \(kept\)\s+2\s+36\s+36\n)")) << r.out;
  EXPECT_TRUE(Matches(r.out, R"(float32 -> uint8\s+1\s+16\s+4\n)")) << r.out;
}

TEST_F(CliTest, DeprecatedQuantizationBytes) {
  fs::path m = StdModel();
  for (int bytes : {1, 2}) {
    fs::path out = tmp / ("out" + std::to_string(bytes));
    RunResult r = Ok({"quantize", m.string(), out.string(), "--quantization_bytes", std::to_string(bytes)});
    EXPECT_CONTAINS(r.err, "tfjs-quant: warning: --quantization_bytes is deprecated");
    EXPECT_CONTAINS(r.err, "--quantize_uint8");
    Loaded l = Load(out);
    const char* want = bytes == 1 ? "uint8" : "uint16";
    for (const char* n : {"conv1/kernel", "conv1/bias", "dense/kernel"})
      EXPECT_EQ(l.entries[n]["quantization"]["dtype"], want) << n;
    EXPECT_CONTAINS(r.out, std::string("float32 -> ") + want);
  }
}

TEST_F(CliTest, ShardSize) {
  fs::path m = StdModel();
  // float16: 10 + 8 + 8 bytes, plus 8 bytes of int32 = 34 bytes.
  {
    fs::path out = tmp / "out8";
    RunResult r = Ok({"quantize", m.string(), out.string(), "--float16", "--weight_shard_size_bytes", "8"});
    Loaded l = Load(out);
    json want = json::array();
    for (int s = 1; s <= 5; ++s) want.push_back("group1-shard" + std::to_string(s) + "of5.bin");
    EXPECT_EQ(Manifest(l.root)[0]["paths"], want);
    EXPECT_EQ(l.shard_sizes[0], (std::vector<uint64_t>{8, 8, 8, 8, 2}));
    EXPECT_EQ(FilesIn(out).size(), 6u);
    EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "00bc66ae00000038cd3c");  // straddles shards 1 and 2
    EXPECT_CONTAINS(r.out, "wrote " + out.string() + ": model.json + 5 shards\n");
  }
  // A size that divides the total exactly: no empty trailing shard.
  {
    fs::path out = tmp / "out17";
    RunResult r = Ok({"quantize", m.string(), out.string(), "--float16", "--shard-size=17"});
    Loaded l = Load(out);
    EXPECT_EQ(Manifest(l.root)[0]["paths"], json::array({"group1-shard1of2.bin", "group1-shard2of2.bin"}));
    EXPECT_EQ(l.shard_sizes[0], (std::vector<uint64_t>{17, 17}));
    EXPECT_EQ(FilesIn(out).size(), 3u);
    EXPECT_CONTAINS(r.out, "+ 2 shards\n");
  }
  // A shard size of 1: one file per byte, every one non-empty.
  {
    fs::path out = tmp / "out1";
    Ok({"quantize", m.string(), out.string(), "--uint8", "--weight_shard_size_bytes=1"});
    Loaded l = Load(out);
    EXPECT_EQ(l.shard_sizes[0], std::vector<uint64_t>(21, 1));
    EXPECT_EQ(Manifest(l.root)[0]["paths"].back(), "group1-shard21of21.bin");
  }
}

TEST_F(CliTest, ArithmeticFloat32MatchesNumpy1) {
  fs::path m = StdModel();
  fs::path out64 = tmp / "out64", out32 = tmp / "out32";
  Ok({"quantize", m.string(), out64.string(), "--quantize_uint8=conv1/bias"});
  Ok({"quantize", m.string(), out32.string(), "--quantize_uint8=conv1/bias", "--arithmetic", "float32"});
  // Spec 7 B2: 0.5 is a tie, 128 with float64 and 127 with numpy-1 float32.
  EXPECT_EQ(Hex(Load(out64).stored["conv1/bias"]), "004080ff");
  EXPECT_EQ(Hex(Load(out32).stored["conv1/bias"]), "00407fff");
  // "min": -0.0 as Python writes it.
  EXPECT_CONTAINS(ReadFile(out32 / "model.json"), "\"min\": -0.0,");
  RunResult bad = Tool({"quantize", m.string(), (tmp / "outx").string(), "--uint8", "--arithmetic", "float16"});
  EXPECT_EQ(bad.code, 2) << bad.err;
  ExpectNothingAt(tmp / "outx");
}

TEST_F(CliTest, InputAsJsonFileOfAnyName) {
  fs::path dir = in / "pn";
  WriteGraphModel(dir, StdWeights(), "posenet.json", "posenet-weights.bin");
  WriteFile(dir / "labels.json", "[\"a\", \"b\"]");  // another JSON beside it
  fs::path out = tmp / "out";
  RunResult r = Ok({"quantize", (dir / "posenet.json").string(), out.string(), "--uint8"});
  auto files = FilesIn(out);
  EXPECT_EQ(files.size(), 2u);
  EXPECT_TRUE(files.count("posenet.json"));
  EXPECT_TRUE(files.count("group1-shard1of1.bin"));
  Loaded l = Load(out, "posenet.json");
  EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "006874aeff");
  EXPECT_CONTAINS(r.out, (dir / "posenet.json").string() + ": 4 weights, 60 bytes (graph-model)");
  EXPECT_CONTAINS(r.out, "wrote " + out.string() + ": posenet.json + 1 shard");

  // The folder alone, when it holds a single JSON of another name.
  fs::path dir2 = in / "pn2";
  WriteGraphModel(dir2, StdWeights(), "posenet.json");
  fs::path out2 = tmp / "out2";
  Ok({"quantize", dir2.string(), out2.string(), "--uint8"});
  EXPECT_EQ(FilesIn(out2), files);

  // Several JSON files and no model.json: the folder is ambiguous.
  RunResult amb = Tool({"quantize", dir.string(), (tmp / "out3").string(), "--uint8"});
  EXPECT_NE(amb.code, 0);
  EXPECT_CONTAINS(amb.err, "labels.json");
  EXPECT_CONTAINS(amb.err, "posenet.json");
  ExpectNothingAt(tmp / "out3");
}

TEST_F(CliTest, StandaloneWeightsManifest) {
  fs::path dir = in / "sa";
  WriteStandaloneManifest(dir, StdWeights(), "x-weights_manifest.json", "x.bin");
  for (fs::path arg : {dir / "x-weights_manifest.json", dir}) {
    fs::path out = tmp / (arg == dir ? "out-folder" : "out-file");
    RunResult r = Ok({"quantize", arg.string(), out.string(), "--quantize_uint8"});
    auto files = FilesIn(out);
    EXPECT_EQ(files.size(), 2u);
    ASSERT_TRUE(files.count("x-weights_manifest.json")) << "the file name is kept";
    std::string text = files["x-weights_manifest.json"];
    EXPECT_EQ(text.front(), '[') << "still a bare JSON list: " << text;
    json root = json::parse(text);
    EXPECT_TRUE(root.is_array());
    Loaded l = Load(out, "x-weights_manifest.json");
    EXPECT_EQ(Hex(l.stored["conv1/kernel"]), "006874aeff");
    EXPECT_EQ(l.entries["conv1/kernel"]["quantization"]["dtype"], "uint8");
    EXPECT_CONTAINS(r.out, "standalone weights manifest");
    EXPECT_CONTAINS(r.out, "wrote " + out.string() + ": x-weights_manifest.json + 1 shard");
  }
}

TEST_F(CliTest, DequantizeDecodesAsTfjs) {
  fs::path m = StdModel();
  // The quantized model is the input here: move it below `in`.
  Ok({"quantize", m.string(), (tmp / "q").string(), "--uint8"});
  fs::path q = in / "q";
  fs::rename(tmp / "q", q);
  fs::path out = tmp / "deq";
  RunResult r = Ok({"dequantize", q.string(), out.string()});
  Loaded l = Load(out);
  for (const auto& [name, e] : l.entries) EXPECT_FALSE(e.contains("quantization")) << name;
  EXPECT_EQ(l.entries["conv1/kernel"]["dtype"], "float32");
  // Spec 7 A: JS f32 bits.
  EXPECT_EQ(AsBits(l.stored["conv1/kernel"]),
            (std::vector<uint32_t>{0xbf8019b3, 0xbdd4073b, 0x00000000, 0x3f0019b3, 0x3f997fe7}));
  EXPECT_EQ(l.stored["shape_const"], I32({7, 8}));
  EXPECT_TRUE(Matches(r.out, R"(uint8 -> float32\s+3\s+13\s+52\n)")) << r.out;
  EXPECT_CONTAINS(r.out, "wrote " + out.string() + ": model.json + 1 shard");

  // Dequantize refuses OUT inside IN, and an existing non-empty OUT.
  RunResult inside = Tool({"dequantize", q.string(), (q / "sub").string(), "--force"});
  EXPECT_EQ(inside.code, 4) << inside.err;
  EXPECT_CONTAINS(inside.err, "inside the input folder");
  RunResult again = Tool({"dequantize", q.string(), out.string()});
  EXPECT_EQ(again.code, 4) << again.err;
  EXPECT_CONTAINS(again.err, "exists and is not empty");
}

TEST_F(CliTest, SameInputSameBytes) {
  fs::path m = StdModel();
  std::vector<std::string> opts = {"--quantize_uint8=conv*", "--quantize_float16", "--weight_shard_size_bytes", "7"};
  fs::path a = tmp / "a", b = tmp / "b";
  std::vector<std::string> args = {"quantize", m.string(), a.string()};
  args.insert(args.end(), opts.begin(), opts.end());
  RunResult ra = Ok(args);
  args[2] = b.string();
  RunResult rb = Ok(args);
  auto fa = FilesIn(a), fb = FilesIn(b);
  EXPECT_EQ(fa.size(), 5u);  // 25 bytes in 4 shards of 7 bytes or fewer, + model.json
  EXPECT_EQ(fa, fb);
}

TEST_F(CliTest, NonFiniteValuesAreKeptAndWarned) {
  auto ws = StdWeights();
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  ws.push_back({"bad/weights", {5}, "float32", F32({1.0f, nan, inf, -inf, 2.0f})});
  WriteGraphModel(in / "m", ws);
  fs::path out = tmp / "out";
  RunResult r = Tool({"quantize", (in / "m").string(), out.string(), "--quantize_uint8"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "tfjs-quant: warning: ");
  EXPECT_CONTAINS(r.err, "'bad/weights'");
  EXPECT_CONTAINS(r.err, "1 NaN");
  EXPECT_CONTAINS(r.err, "2 Inf");
  EXPECT_NOT_CONTAINS(r.err, "conv1");
  Loaded l = Load(out);
  EXPECT_EQ(l.entries["bad/weights"]["dtype"], "float32");
  EXPECT_FALSE(l.entries["bad/weights"].contains("quantization"));
  EXPECT_EQ(l.stored["bad/weights"], ws.back().data);
  EXPECT_EQ(l.entries["conv1/kernel"]["quantization"]["dtype"], "uint8");
  // The output is still valid JSON (no bare NaN token).
  EXPECT_NOT_CONTAINS(ReadFile(out / "model.json"), "NaN");
  EXPECT_TRUE(Matches(r.out, R"(float32 \(kept\)\s+1\s+20\s+20\n)")) << r.out;
}

TEST_F(CliTest, SymlinkedShardInsideTheFolderIsRead) {
  fs::path dir = in / "m";
  WriteGraphModel(dir, StdWeights(), "model.json", "real.bin");
  EditJson(dir, [](json& j) { j["weightsManifest"][0]["paths"] = {"link.bin"}; });
  fs::create_symlink("real.bin", dir / "link.bin");
  fs::path out = tmp / "out";
  Ok({"quantize", dir.string(), out.string(), "--uint8"});
  EXPECT_FALSE(fs::is_symlink(out / "group1-shard1of1.bin"));
  EXPECT_EQ(Hex(Load(out).stored["conv1/kernel"]), "006874aeff");
}

// ---------------------------------------------------------- bad input: 3

TEST_F(CliTest, MissingShard) {
  fs::path m = StdModel();
  fs::remove(m / "group1-shard1of1.bin");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].paths[0]", "group1-shard1of1.bin", "no such file"});
  // Missing parent folders of OUT are not created for a refused run.
  Refused({"quantize", m.string(), (tmp / "p" / "out").string(), "--uint8"}, 3, tmp / "p" / "out",
          {"group1-shard1of1.bin"});
  EXPECT_FALSE(fs::exists(tmp / "p"));
}

TEST_F(CliTest, ShortShard) {
  fs::path m = StdModel();
  std::string s = ReadFile(m / "group1-shard1of1.bin");
  WriteFile(m / "group1-shard1of1.bin", s.substr(0, s.size() - 1));
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0]", "group1-shard1of1.bin", "59 bytes", "'shape_const'",
           "weightsManifest[0].weights[3]", "52 to 60", "short"});
}

TEST_F(CliTest, LongShard) {
  fs::path m = StdModel();
  WriteFile(m / "group1-shard1of1.bin", ReadFile(m / "group1-shard1of1.bin") + "x");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0]", "describes 60 bytes", "hold 61 bytes", "too many"});
}

TEST_F(CliTest, UnknownDtype) {
  fs::path m = StdModel();
  EditJson(m, [](json& j) { j["weightsManifest"][0]["weights"][1]["dtype"] = "float64"; });
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].weights[1].dtype", "'conv1/bias'", "\"float64\"", "float32, int32"});
}

TEST_F(CliTest, UnknownQuantizationDtype) {
  fs::path m = StdModel();
  EditJson(m, [](json& j) {
    j["weightsManifest"][0]["weights"][0]["quantization"] = {{"dtype", "int8"}, {"min", 0}, {"scale", 1}};
  });
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].weights[0].quantization.dtype", "'conv1/kernel'", "\"int8\"",
           "\"uint8\", \"uint16\" and \"float16\""});
}

TEST_F(CliTest, MissingMinOrScale) {
  for (const char* key : {"min", "scale"}) {
    fs::path dir = in / (std::string("m-") + key);
    auto ws = StdWeights();
    ws[0].data = std::string("\x00\x68\x74\xae\xff", 5);
    ws[0].quantization = {{"dtype", "uint8"}, {"min", -1.0}, {"scale", 0.01}};
    ws[0].quantization.erase(key);
    WriteGraphModel(dir, ws);
    fs::path out = tmp / (std::string("out-") + key);
    Refused({"quantize", dir.string(), out.string(), "--float16"}, 3, out,
            {"model.json", "weightsManifest[0].weights[0].quantization", "'conv1/kernel'", "uint8",
             std::string("no \"") + key + "\""});
  }
}

TEST_F(CliTest, NonFiniteMinAsNaNToken) {
  fs::path m = ModelWithMinSpelled("NaN");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "line 1, column", "NaN", "not JSON"});
}

// 1e999 is valid JSON syntax (JS JSON.parse reads it as Infinity), so the
// message should point at the weight's min, or at least at a line and column.
TEST_F(CliTest, NonFiniteMinAsOverflowingNumber) {
  fs::path m = ModelWithMinSpelled("1e999");
  RunResult r = Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
                        {"model.json", "1e999"});
  bool located = r.err.find("weightsManifest[0].weights[0].quantization.min") != std::string::npos ||
                 (r.err.find("line ") != std::string::npos && r.err.find("column") != std::string::npos);
  EXPECT_TRUE(located) << "the message gives no JSON location:\n" << r.err;
  EXPECT_NOT_CONTAINS(r.err, "json.exception");
}

TEST_F(CliTest, DuplicateWeightNames) {
  fs::path m = StdModel();
  EditJson(m, [](json& j) { j["weightsManifest"][0]["weights"][2]["name"] = "conv1/bias"; });
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].weights[2]", "duplicate weight name 'conv1/bias'",
           "weightsManifest[0].weights[1]"});
}

TEST_F(CliTest, MalformedJsonGivesLineAndColumn) {
  fs::path m = StdModel();
  WriteFile(m / "model.json",
            "{\n  \"format\": \"graph-model\",\n  \"weightsManifest\": [\n    {\"paths\": [\"group1-shard1of1.bin\"],,\n"
            "  ]\n}\n");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "invalid JSON", "line 4, column"});
}

TEST_F(CliTest, NotAModel) {
  fs::path m = StdModel();
  WriteFile(m / "model.json", "{\"format\": \"graph-model\", \"modelTopology\": {}}");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest"});
}

TEST_F(CliTest, ShardPathLeavingTheFolder) {
  fs::path m = StdModel();
  WriteFile(in / "x.bin", ReadFile(m / "group1-shard1of1.bin"));  // it exists, and must not be read
  EditJson(m, [](json& j) { j["weightsManifest"][0]["paths"] = {"../x.bin"}; });
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].paths[0]", "'../x.bin'", "leaves the model's folder"});
  // A ".." that stays inside is fine lexically but the file must exist.
  EditJson(m, [](json& j) { j["weightsManifest"][0]["paths"] = {"sub/../group1-shard1of1.bin"}; });
  Ok({"quantize", m.string(), (tmp / "out2").string(), "--uint8"});
}

TEST_F(CliTest, AbsoluteShardPath) {
  fs::path m = StdModel();
  const std::string abs = (m / "group1-shard1of1.bin").string();
  EditJson(m, [&](json& j) { j["weightsManifest"][0]["paths"] = {abs}; });
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].paths[0]", "'" + abs + "'", "absolute"});
}

TEST_F(CliTest, ShardSymlinkPointingOutside) {
  fs::path m = StdModel();
  fs::path secret = tmp / "secret" / "shard.bin";
  WriteFile(secret, ReadFile(m / "group1-shard1of1.bin"));
  fs::remove(m / "group1-shard1of1.bin");
  fs::create_symlink(secret, m / "group1-shard1of1.bin");
  auto secret_before = Snapshot(tmp / "secret");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"model.json", "weightsManifest[0].paths[0]", "group1-shard1of1.bin", "outside the model's folder"});
  EXPECT_EQ(Snapshot(tmp / "secret"), secret_before);
  // A relative link climbing out is refused the same way.
  fs::remove(m / "group1-shard1of1.bin");
  fs::create_symlink("../../secret/shard.bin", m / "group1-shard1of1.bin");
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {"outside the model's folder"});
}

TEST_F(CliTest, MissingInput) {
  Refused({"quantize", (in / "nope").string(), (tmp / "out").string(), "--uint8"}, 3, tmp / "out",
          {(in / "nope").string(), "no such file"});
}

// ------------------------------------------------------- output refused: 4

TEST_F(CliTest, OutInsideFolderInput) {
  fs::path m = StdModel();
  // Tool() checks that nothing appeared below the input.
  for (fs::path out : {m / "out", m / "a" / "b", m / "."}) {
    RunResult r = Tool({"quantize", m.string(), out.string(), "--uint8", "--force"});
    EXPECT_EQ(r.code, 4) << out << "\n" << r.err;
    EXPECT_CONTAINS(r.err, "inside the input folder");
    EXPECT_CONTAINS(r.err, m.string());
    EXPECT_EQ(r.out, "");
  }
}

// The output names its JSON after the input's: a model JSON named like one
// of the shards it will write is refused (exit 4), as the JS API refuses it.
TEST_F(CliTest, ModelJsonNamedLikeAnOutputShard) {
  fs::path m = in / "odd";
  fs::create_directories(m);
  WriteFile(m / "group1-shard1of1.bin",
            R"({"weightsManifest": [{"paths": ["w.bin"], "weights": [{"name": "a", "shape": [2], "dtype": "float32"}]}]})");
  WriteFile(m / "w.bin", std::string(8, '\0'));
  fs::path out = tmp / "out-odd";
  Refused({"quantize", (m / "group1-shard1of1.bin").string(), out.string(), "--uint8"}, 4, out,
          {"'group1-shard1of1.bin' was already written"});
}

TEST_F(CliTest, OutEqualToInputFolder) {
  fs::path m = StdModel();
  auto before = Snapshot(m);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"quantize", m.string(), m.string(), "--uint8", "--force"},
        std::vector<std::string>{"quantize", (m / "model.json").string(), m.string(), "--uint8", "--force"},
        std::vector<std::string>{"dequantize", m.string(), m.string(), "--force"},
        std::vector<std::string>{"quantize", m.string(), (m / "sub" / "..").string(), "--uint8", "--force"}}) {
    RunResult r = Tool(args);
    EXPECT_EQ(r.code, 4) << Join(args) << "\n" << r.err;
    EXPECT_CONTAINS(r.err, "inside the input folder");
    EXPECT_EQ(HiddenTempsBeside(m), std::vector<std::string>{});
  }
  // OUT holding the input folder: --force must never delete the input.
  RunResult r = Tool({"quantize", m.string(), in.string(), "--uint8", "--force"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_CONTAINS(r.err, "contains the input");
  EXPECT_EQ(Snapshot(m), before);
  EXPECT_EQ(HiddenTempsBeside(in), std::vector<std::string>{});
}

// IN given as a JSON file: OUT may sit beside it, but never over its shards.
TEST_F(CliTest, OutHoldingInputShards) {
  fs::path m = in / "m";
  WriteGraphModel(m, StdWeights(), "model.json", "w/group1-shard1of1.bin");
  for (fs::path out : {m / "w", m / "w" / "group1-shard1of1.bin"}) {
    RunResult r = Tool({"quantize", (m / "model.json").string(), out.string(), "--uint8", "--force"});
    EXPECT_EQ(r.code, 4) << out << "\n" << r.err;
    EXPECT_CONTAINS(r.err, "input file");
    EXPECT_CONTAINS(r.err, "group1-shard1of1.bin");
  }
}

TEST_F(CliTest, RelativePaths) {
  StdModel();
  RunResult r = Tool({"quantize", "in/m", "out", "--uint8"}, tmp.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "in/m/model.json: 4 weights, 60 bytes (graph-model)");
  EXPECT_CONTAINS(r.out, "wrote out: model.json + 1 shard\n");
  EXPECT_EQ(Hex(Load(tmp / "out").stored["conv1/kernel"]), "006874aeff");
  RunResult f = Tool({"quantize", "model.json", "../../out2", "--float16"}, tmp / "in" / "m");
  EXPECT_EQ(f.code, 0) << f.err;
  EXPECT_EQ(Load(tmp / "out2").entries["conv1/kernel"]["quantization"]["dtype"], "float16");
  RunResult same = Tool({"quantize", "model.json", ".", "--float16", "--force"}, tmp / "in" / "m");
  EXPECT_EQ(same.code, 4) << same.err;
}

TEST_F(CliTest, ExistingOutputNeedsForce) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  WriteFile(out / "stale.txt", "old");
  WriteFile(out / "sub" / "group1-shard1of1.bin", "old shard");
  auto old = Snapshot(out);
  RunResult r = Tool({"quantize", m.string(), out.string(), "--uint8"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_CONTAINS(r.err, out.string());
  EXPECT_CONTAINS(r.err, "exists and is not empty");
  EXPECT_CONTAINS(r.err, "--force");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Snapshot(out), old) << "a refused run touched the existing output";
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});

  // --force with a broken input: the old output stays as it was.
  fs::path broken = in / "broken";
  WriteGraphModel(broken, StdWeights());
  fs::remove(broken / "group1-shard1of1.bin");
  RunResult rb = Tool({"quantize", broken.string(), out.string(), "--uint8", "--force"});
  EXPECT_EQ(rb.code, 3) << rb.err;
  EXPECT_EQ(Snapshot(out), old);
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});

  // --force replaces the old content entirely.
  Ok({"quantize", m.string(), out.string(), "--uint8", "--force"});
  auto files = Snapshot(out);
  EXPECT_EQ(files.size(), 2u);
  EXPECT_TRUE(files.count("model.json"));
  EXPECT_TRUE(files.count("group1-shard1of1.bin"));
  EXPECT_FALSE(fs::exists(out / "stale.txt"));
  EXPECT_FALSE(fs::exists(out / "sub"));
  EXPECT_EQ(Hex(Load(out).stored["conv1/kernel"]), "006874aeff");
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{}) << "the old output was left beside OUT";
}

TEST_F(CliTest, ExistingEmptyOutputIsUsed) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  fs::create_directory(out);
  Ok({"quantize", m.string(), out.string(), "--uint8"});
  EXPECT_EQ(FilesIn(out).size(), 2u);
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
}

TEST_F(CliTest, OutputIsAFile) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  WriteFile(out, "a file");
  RunResult r = Tool({"quantize", m.string(), out.string(), "--uint8", "--force"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_CONTAINS(r.err, "not a folder");
  EXPECT_EQ(ReadFile(out), "a file");
}

// OUT given with a trailing slash, as shell completion writes it.
TEST_F(CliTest, OutWithTrailingSlash) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  RunResult r = Tool({"quantize", m.string(), out.string() + "/", "--uint8"});
  EXPECT_EQ(r.code, 0) << r.err;
  if (r.code == 0) {
    EXPECT_EQ(FilesIn(out).size(), 2u);
    EXPECT_EQ(Hex(Load(out).stored["conv1/kernel"]), "006874aeff");
  } else {
    ExpectNothingAt(out);
  }
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
  // An existing OUT with a trailing slash.
  fs::path out2 = tmp / "out2";
  fs::create_directory(out2);
  RunResult r2 = Tool({"quantize", m.string(), out2.string() + "/", "--uint8"});
  EXPECT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(FilesIn(out2).size(), 2u);
}

// Missing parent folders of OUT are created, as the converter does.
TEST_F(CliTest, OutParentMissingIsCreated) {
  fs::path m = StdModel();
  fs::path out = tmp / "a" / "b" / "out";
  RunResult r = Ok({"quantize", m.string(), out.string(), "--uint8"});
  EXPECT_EQ(FilesIn(out).size(), 2u);
  EXPECT_CONTAINS(r.out, "wrote " + out.string());
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
}

// ---------------------------------------------------------------- usage: 2

TEST_F(CliTest, TwoDtypesMatchOneWeight) {
  fs::path m = StdModel();
  Refused({"quantize", m.string(), (tmp / "out").string(), "--quantize_uint8=conv1/*", "--quantize_float16=*/kernel"},
          2, tmp / "out",
          {"weight 'conv1/kernel' is matched by uint8 pattern 'conv1/*' and by float16 pattern '*/kernel'"});
}

TEST_F(CliTest, SameDtypeTwiceIsFine) {
  fs::path m = StdModel();
  fs::path out = tmp / "out";
  Ok({"quantize", m.string(), out.string(), "--quantize_uint8=conv1/*,*/kernel"});
  EXPECT_EQ(Load(out).entries["conv1/kernel"]["quantization"]["dtype"], "uint8");
}

TEST_F(CliTest, TwoBareFallthroughs) {
  fs::path m = StdModel();
  Refused({"quantize", m.string(), (tmp / "out").string(), "--quantize_uint8", "--float16"}, 2, tmp / "out",
          {"more than one quantization fallthrough: uint8 and float16 are both asked for without patterns"});
}

TEST_F(CliTest, QuantizationBytesWithNewFlags) {
  fs::path m = StdModel();
  Refused({"quantize", m.string(), (tmp / "out").string(), "--quantization_bytes", "1", "--quantize_uint8"}, 2,
          tmp / "out", {"--quantization_bytes cannot be used with the new quantization flags"});
  Refused({"quantize", m.string(), (tmp / "out").string(), "--quantization_bytes=2", "--float16=conv*"}, 2,
          tmp / "out", {"--quantization_bytes cannot be used"});
  Refused({"quantize", m.string(), (tmp / "out").string(), "--quantization_bytes", "3"}, 2, tmp / "out",
          {"--quantization_bytes"});
}

TEST_F(CliTest, BadOptionValues) {
  fs::path m = StdModel();
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8", "--weight_shard_size_bytes", "0"}, 2,
          tmp / "out", {"--weight_shard_size_bytes"});
  Refused({"quantize", m.string(), (tmp / "out").string(), "--uint8", "--bogus"}, 2, tmp / "out", {"--bogus"});
  Refused({"quantize", m.string()}, 2, tmp / "out", {"OUT"});
}

TEST_F(CliTest, UnknownSubcommandSuggests) {
  fs::path m = StdModel();
  Refused({"quantise", m.string(), (tmp / "out").string()}, 2, tmp / "out",
          {"unknown command 'quantise'", "did you mean 'quantize'?"});
  Refused({"dequantise", m.string(), (tmp / "out").string()}, 2, tmp / "out", {"did you mean 'dequantize'?"});
  RunResult far = Tool({"frobnicate"});
  EXPECT_EQ(far.code, 2);
  EXPECT_CONTAINS(far.err, "unknown command 'frobnicate'");
  EXPECT_NOT_CONTAINS(far.err, "did you mean");
}

TEST_P(CliSpelling, BareFlagThenPatternsGivesHint) {
  std::string flag = std::string(GetParam()) + "uint8";
  fs::path m = StdModel();
  RunResult r = Refused({"quantize", m.string(), (tmp / "out").string(), flag, "conv1/*,dense/*"}, 2, tmp / "out",
                        {"conv1/*,dense/*", "not expected"});
  EXPECT_CONTAINS(r.err, "Patterns go after '='");
}

TEST_F(CliTest, HelpAndVersion) {
  RunResult h = Tool({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_CONTAINS(h.out, "quantize");
  EXPECT_CONTAINS(h.out, "dequantize");
  RunResult qh = Tool({"quantize", "--help"});
  EXPECT_EQ(qh.code, 0);
  EXPECT_CONTAINS(qh.out, "--quantize_uint8");
  RunResult none = Tool({});
  EXPECT_EQ(none.code, 2);
}

// ------------------------------------------------------ killed midway

// Writes `tensors` float32 tensors of 4 MiB each into one shard.
void WriteBigModel(const fs::path& dir, int tensors) {
  constexpr size_t kElems = size_t{1} << 20;
  std::string chunk(kElems * 4, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < kElems; ++i) {
    x = x * 1664525u + 1013904223u;
    float f = static_cast<float>(x >> 8) / 16777216.0f - 0.5f;
    std::memcpy(&chunk[i * 4], &f, 4);
  }
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "weights.bin", std::ios::binary);
    for (int t = 0; t < tensors; ++t) f.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    ASSERT_TRUE(f.good());
  }
  json ws = json::array();
  for (int t = 0; t < tensors; ++t)
    ws.push_back({{"name", "layer" + std::to_string(t) + "/kernel"}, {"shape", {1024, 1024}}, {"dtype", "float32"}});
  json m = {{"format", "graph-model"}, {"modelTopology", json::object()},
            {"weightsManifest", json::array({{{"paths", {"weights.bin"}}, {"weights", ws}}})}};
  WriteFile(dir / "model.json", m.dump());
}

// Sizes and modification times: enough to see a write.
std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> StatSnapshot(const fs::path& dir) {
  std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> s;
  for (const auto& de : fs::directory_iterator(dir))
    s[de.path().filename().string()] = {de.file_size(), de.last_write_time()};
  return s;
}

TEST_F(CliTest, KilledMidwayLeavesNoOutput) {
  // The tool's test hook kills it with SIGKILL right after its first shard
  // (of three) is written: the point a kill -9 is most likely to hit, with
  // no race and no large write.
  const fs::path big = tmp / "big";
  const fs::path out = tmp / "out";
  WriteBigModel(big, 3);
  auto before = StatSnapshot(big);
  RunResult r = cli_util::Run("/usr/bin/env", {"TFJS_QUANT_TEST_KILL_AFTER_FILES=1", kBin, "quantize", big.string(),
                                               out.string(), "--quantize_float16", "--weight_shard_size_bytes",
                                               "2097152"});
  ASSERT_EQ(r.signal, SIGKILL) << "exit " << r.code << ": " << r.err;
  EXPECT_EQ(StatSnapshot(big), before) << "the input was modified";
  EXPECT_FALSE(fs::exists(out)) << "a killed run left " << out;
  // Only the hidden temporary folder may remain, holding the one shard.
  auto temps = HiddenTempsBeside(out);
  ASSERT_EQ(temps.size(), 1u);
  size_t shards = 0;
  for (const auto& de : fs::directory_iterator(out.parent_path() / temps[0])) shards += de.is_regular_file();
  EXPECT_EQ(shards, 1u);
  for (const auto& de : fs::directory_iterator(tmp.path())) {
    std::string n = de.path().filename().string();
    EXPECT_TRUE(n == "in" || n == "big" || n.rfind(".out.tfjs-quant-", 0) == 0) << "unexpected " << n;
  }

  // A later run into the same OUT works, and removes the dead run's leftovers.
  r = cli_util::Run(kBin, {"quantize", big.string(), out.string(), "--quantize_uint8"});
  EXPECT_EQ(r.code, 0) << r.err;
  Loaded l = Load(out);
  EXPECT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries["layer0/kernel"]["quantization"]["dtype"], "uint8");
  EXPECT_TRUE(HiddenTempsBeside(out).empty()) << "the dead run's folder was left";
}

}  // namespace
