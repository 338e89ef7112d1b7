// SPDX-License-Identifier: Apache-2.0
// The hostile corpus: one malformed input per error class, built here in a
// fresh folder, and given to `quantize`, `dequantize` and `inspect` (and
// `auto` for budgets) as a user would. Each case asserts the exit code, the
// whole first line of the message, that the tool was not killed by a
// signal, that the input is unchanged and that nothing was written: no
// OUT, no hidden temporary folder, no parent folder. Then the same for
// the output side: OUT equal to or inside IN, an existing file, a link, a
// read-only folder, a full disk, and --force over an OUT when the run fails.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>

#include "cli_util.h"
#include "tfjs_quant/text.h"

namespace {

using namespace cli_util;

const std::string kBin = TFJS_QUANT_BIN;

// {"name": "w", "shape": [2], "dtype": "float32"}: 8 bytes.
const std::string kEntry = R"({"name": "w", "shape": [2], "dtype": "float32"})";
const std::string kShard = "group1-shard1of1.bin";

std::string ModelJson(const std::string& manifest) {
  return R"({"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": )" + manifest + "}";
}
std::string Group(const std::string& entries, const std::string& paths = "[\"" + kShard + "\"]") {
  return "[{\"paths\": " + paths + ", \"weights\": [" + entries + "]}]";
}

struct Case {
  std::string name;
  std::function<void(const fs::path& m)> make;  // writes the model into folder m
  int code;
  std::string first_line;  // after "tfjs-quant: error: "; {m} is the model folder
};

// The model folder with model.json = `json` and the standard 8-byte shard.
std::function<void(const fs::path&)> Json(std::string json, std::string shard = F32({1.0f, 2.0f})) {
  return [json, shard](const fs::path& m) {
    WriteFile(m / "model.json", json);
    WriteFile(m / kShard, shard);
  };
}
std::function<void(const fs::path&)> Manifest(const std::string& manifest) { return Json(ModelJson(manifest)); }
std::function<void(const fs::path&)> Entry(const std::string& entry) { return Manifest(Group(entry)); }

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::vector<Case> ModelCases() {
  const std::string W = "model.json: weightsManifest[0]";
  const std::string E = W + ".weights[0]";
  const std::string nested = std::string(200000, '[') + std::string(200000, ']');
  return {
      // --- JSON text
      {"truncated", Json(ModelJson(Group(kEntry)).substr(0, 60)), 3,
       "model.json: invalid JSON at line 1, column 60: syntax error while parsing object key - invalid string: "
       "missing closing quote; last read: '\"we'; expected string literal"},
      {"empty", Json(""), 3,
       "model.json: invalid JSON at line 1, column 1: syntax error while parsing value - unexpected end of input; "
       "expected '[', '{', or a literal"},
      {"not_utf8", Entry("{\"name\": \"w\xff\", \"shape\": [2], \"dtype\": \"float32\"}"), 3,
       "model.json: invalid JSON at line 1, column 137: syntax error while parsing value - invalid string: "
       "ill-formed UTF-8 byte; last read: '\"w\\xff'"},
      {"nul_after_object", Json(ModelJson(Group(kEntry)) + std::string("\0{}", 3)), 3,
       "model.json: invalid JSON at line 1, column 177: a NUL byte (JSON text cannot hold one)"},
      {"nul_in_string", Entry(std::string("{\"name\": \"w\0\", \"shape\": [2], \"dtype\": \"float32\"}", 48)), 3,
       "model.json: invalid JSON at line 1, column 137: a NUL byte (JSON text cannot hold one)"},
      {"nested_200000", Json("{\"modelTopology\": " + nested + ", \"weightsManifest\": []}"), 9,
       "model.json: line 1, column 1018: arrays and objects nested deeper than 1000 levels exceed the limit "
       "json_depth (1000); to allow it, pass --limit json_depth=N (docs/safety.md)"},
      {"bare_nan_min", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": NaN, "scale": 1}})"), 3,
       "model.json: invalid JSON at line 1, column 216: NaN and Infinity are not JSON (Python's json.dump writes them "
       "for non-finite values); tfjs cannot load this file either"},
      {"huge_min_literal", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": 1e999, "scale": 1}})"), 3,
       "model.json: invalid JSON at line 1, column 220: number overflow parsing '1e999'"},
      // --- structure and types
      {"top_level_string", Json("\"model\""), 3,
       "model.json: top level: expected a model.json object or a weights manifest list, found the string \"model\""},
      {"no_manifest", Json(R"({"format": "graph-model"})"), 3,
       "model.json: top level: no \"weightsManifest\" key; expected a tfjs model.json (or a standalone weights "
       "manifest list)"},
      {"manifest_object", Manifest("{}"), 3, "model.json: weightsManifest: expected a list of weight groups, found an object"},
      {"group_number", Manifest("[7]"), 3, W + ": expected a group object, found the number 7"},
      {"paths_missing", Manifest(R"([{"weights": []}])"), 3, W + ".paths: expected a list of shard file names, found nothing"},
      {"path_number", Manifest(Group(kEntry, "[1]")), 3, W + ".paths[0]: expected a file name, found the number 1"},
      {"weights_string", Manifest(R"([{"paths": [], "weights": "w"}])"), 3,
       W + ".weights: expected a list of weight entries, found the string \"w\""},
      {"entry_list", Entry("[]"), 3, E + ": expected an object, found an array"},
      {"name_number", Entry(R"({"name": 3, "shape": [2], "dtype": "float32"})"), 3, E + ".name: expected a string, found the number 3"},
      {"dtype_missing", Entry(R"({"name": "w", "shape": [2]})"), 3, E + ".dtype: weight 'w': expected a dtype string, found nothing"},
      {"dtype_bool", Entry(R"({"name": "w", "shape": [2], "dtype": true})"), 3,
       E + ".dtype: weight 'w': expected a dtype string, found the boolean true"},
      {"shape_missing", Entry(R"({"name": "w", "dtype": "float32"})"), 3, E + ": weight 'w' has no \"shape\""},
      {"shape_string", Entry(R"({"name": "w", "shape": "2", "dtype": "float32"})"), 3,
       E + ".shape: expected a list of non-negative integers, found the string \"2\""},
      {"quantization_null", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": null})"), 3,
       E + ".quantization: \"quantization\" is null (tfjs crashes on it); omit the key instead"},
      {"quantization_list", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": []})"), 3,
       E + ".quantization: expected an object, found an array"},
      {"quantization_dtype_number", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": 8}})"), 3,
       E + ".quantization.dtype: expected \"uint8\", \"uint16\" or \"float16\", found the number 8"},
      {"min_string", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": "0", "scale": 1}})"), 3,
       E + ".quantization.min: expected a finite number, found the string \"0\""},
      {"scale_null", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": 0, "scale": null}})"), 3,
       E + ".quantization.scale: expected a finite number, found null"},
      {"scale_missing", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "min": 0}})"), 3,
       E + ".quantization: weight 'w' is quantized to uint16 but has no \"scale\""},
      // --- shapes
      {"shape_negative", Entry(R"({"name": "w", "shape": [-2], "dtype": "float32"})"), 3,
       E + ".shape[0]: expected a non-negative integer dimension, found the number -2"},
      {"shape_float", Entry(R"({"name": "w", "shape": [2.0], "dtype": "float32"})"), 3,
       E + ".shape[0]: expected a non-negative integer dimension, found the number 2.0"},
      {"shape_huge_number", Entry(R"({"name": "w", "shape": [1e30], "dtype": "float32"})"), 3,
       E + ".shape[0]: expected a non-negative integer dimension, found the number 1e+30"},
      {"shape_2_pow_64", Entry(R"({"name": "w", "shape": [18446744073709551616], "dtype": "float32"})"), 3,
       E + ".shape[0]: expected a non-negative integer dimension, found the number 1.8446744073709552e+19"},
      {"shape_2_pow_63_times_0", Entry(R"({"name": "w", "shape": [0, 9223372036854775808], "dtype": "float32"})"), 3,
       E + ".shape[1]: dimension 9223372036854775808 of weight 'w' is larger than 2^53 (tfjs shapes are JavaScript numbers)"},
      {"shape_product_overflows", Entry(R"({"name": "w", "shape": [4294967296, 4294967296, 2], "dtype": "float32"})"), 9,
       E + ".shape: weight 'w' has at least 2^64 elements, more than the limit tensor_elements (2147483648) allows; "
           "to allow it, pass --limit tensor_elements=N (docs/safety.md)"},
      {"shape_terabytes", Entry(R"({"name": "w", "shape": [1048576, 1048576], "dtype": "float32"})"), 9,
       E + ".shape: weight 'w' has 1099511627776 elements, more than the limit tensor_elements (2147483648) allows; "
           "to allow it, pass --limit tensor_elements=N (docs/safety.md)"},
      {"rank_40", Entry(R"({"name": "w", "shape": [)" + Replace(std::string(39, 'x'), "x", "1, ") + R"(2], "dtype": "float32"})"), 9,
       E + ".shape: weight 'w' has 40 dimensions, more than the limit rank (32) allows; to allow it, pass --limit "
           "rank=N (docs/safety.md)"},
      // --- dtypes
      {"unknown_dtype", Entry(R"({"name": "w", "shape": [2], "dtype": "float64"})"), 3,
       E + ".dtype: weight 'w' has unknown dtype the string \"float64\"; tfjs supports float32, int32, bool, string "
           "and complex64"},
      {"unknown_quantization_dtype", Entry(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "int4"}})"), 3,
       E + ".quantization.dtype: weight 'w' has unknown quantization dtype the string \"int4\"; tfjs supports "
           "\"uint8\", \"uint16\" and \"float16\""},
      {"dtype_16_mib", Entry(R"({"name": "w", "shape": [2], "dtype": ")" + std::string(16 << 20, 'f') + R"("})"), 3,
       E + ".dtype: weight 'w' has unknown dtype the string \"" + std::string(64, 'f') +
           "...\" (16777216 bytes); tfjs supports float32, int32, bool, string and complex64"},
      {"name_with_escapes", Entry(R"({"name": "w\u001b[2J\n", "shape": [2], "dtype": "float64"})"), 3,
       E + ".dtype: weight 'w\\x1b[2J\\n' has unknown dtype the string \"float64\"; tfjs supports float32, int32, "
           "bool, string and complex64"},
      {"duplicate_names", Manifest(Group(kEntry + ", " + kEntry)), 3,
       W + ".weights[1]: duplicate weight name 'w' (also at weightsManifest[0].weights[0]); tfjs would silently keep "
           "only the last one"},
      // --- shards
      {"shard_short", Json(ModelJson(Group(kEntry)), F32({1.0f}) + "xyz"), 3,
       W + ": the shards ('group1-shard1of1.bin') hold 7 bytes but weight 'w' (weightsManifest[0].weights[0]) needs "
           "bytes 0 to 8: a shard is missing or short"},
      {"shard_one_byte_long", Json(ModelJson(Group(kEntry)), F32({1.0f, 2.0f}) + "x"), 3,
       W + ": the manifest describes 8 bytes of weights but the shards ('group1-shard1of1.bin') hold 9 bytes (1 byte "
           "too many): a shard is too long or belongs to another model"},
      {"shard_empty", Json(ModelJson(Group(kEntry)), ""), 3,
       W + ": the shards ('group1-shard1of1.bin') hold 0 bytes but weight 'w' (weightsManifest[0].weights[0]) needs "
           "bytes 0 to 8: a shard is missing or short"},
      {"shard_missing", [](const fs::path& m) { WriteFile(m / "model.json", ModelJson(Group(kEntry))); }, 3,
       W + ".paths[0]: shard 'group1-shard1of1.bin' cannot be read: {m}/group1-shard1of1.bin: no such file"},
      {"shard_directory",
       [](const fs::path& m) {
         WriteFile(m / "model.json", ModelJson(Group(kEntry)));
         fs::create_directories(m / kShard);
       },
       3, W + ".paths[0]: shard 'group1-shard1of1.bin' cannot be read: {m}/group1-shard1of1.bin is a folder, not a regular file"},
      {"shard_fifo",
       [](const fs::path& m) {
         WriteFile(m / "model.json", ModelJson(Group(kEntry)));
         ::mkfifo((m / kShard).c_str(), 0644);
       },
       3, W + ".paths[0]: shard 'group1-shard1of1.bin' cannot be read: {m}/group1-shard1of1.bin is a FIFO, not a regular file"},
      {"shard_dev_zero",
       [](const fs::path& m) {
         WriteFile(m / "model.json", ModelJson(Group(kEntry)));
         fs::create_symlink("/dev/zero", m / kShard);
       },
       3, W + ".paths[0]: shard 'group1-shard1of1.bin' cannot be read: {m}/group1-shard1of1.bin is a link to /dev/zero, outside the model's folder {m}"},
      {"shard_link_out",
       [](const fs::path& m) {
         WriteFile(m / "model.json", ModelJson(Group(kEntry)));
         WriteFile(m.parent_path() / "elsewhere.bin", F32({1.0f, 2.0f}));
         fs::create_symlink(m.parent_path() / "elsewhere.bin", m / kShard);
       },
       3, W + ".paths[0]: shard 'group1-shard1of1.bin' cannot be read: {m}/group1-shard1of1.bin is a link to {p}/elsewhere.bin, outside the model's folder {m}"},
      {"string_length_past_end", Json(ModelJson(Group(R"({"name": "s", "shape": [2], "dtype": "string"})")), std::string("\x01\x00\x00\x00" "a" "\xff\xff\xff\x7f" "bc", 11)), 3,
       W + ": the shards ('group1-shard1of1.bin') hold 11 bytes but weight 's' (weightsManifest[0].weights[0]) needs "
           "bytes 0 to 12: a shard is missing or short"},
      // --- paths
      {"path_dotdot", Manifest(Group(kEntry, R"(["../x.bin"])")), 3, W + ".paths[0]: '../x.bin' leaves the model's folder"},
      {"path_absolute", Manifest(Group(kEntry, R"(["/etc/passwd"])")), 3,
       W + ".paths[0]: '/etc/passwd' is absolute; shard paths must be relative to the model's folder"},
      {"path_backslash", Manifest(Group(kEntry, R"(["..\\x.bin"])")), 3,
       W + ".paths[0]: '..\\x.bin' holds a backslash; shard paths are separated by '/'"},
      {"path_url", Manifest(Group(kEntry, R"(["https://evil.example/x.bin"])")), 3,
       W + ".paths[0]: 'https://evil.example/x.bin' holds ':' (a URL or a drive letter); shard paths must be relative "
           "to the model's folder"},
      {"path_nul", Manifest(Group(kEntry, R"(["x\u0000.bin"])")), 3, W + ".paths[0]: 'x\\x00.bin' holds a control character"},
      {"path_16_mib", Manifest(Group(kEntry, "[\"" + std::string(16 << 20, 'p') + "\"]")), 3,
       W + ".paths[0]: '" + std::string(tfq::kShownBytes, 'p') + "...(16777216 bytes)' is longer than 4096 bytes"},
  };
}

// gtest prints a failing parameter: its name, not its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Hostile : public ::testing::TestWithParam<Case> {
 protected:
  TempDir tmp;
};

// Runs `args`; checks code, first line, no signal, input unchanged and
// nothing at `out`.
void Check(const fs::path& root, const fs::path& m, const std::vector<std::string>& args, const fs::path& out, int code,
           const std::string& first_line) {
  const auto before = Snapshot(root);
  RunResult r = cli_util::Run(kBin, args);
  std::string join;
  for (const auto& a : args) join += " " + a.substr(0, 80);
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << ":" << join;
  EXPECT_EQ(r.code, code) << join << "\n" << r.err.substr(0, 2000);
  const std::string want = "tfjs-quant: error: " +
                           Replace(Replace(first_line, "{m}", m.string()), "{p}", m.parent_path().string());
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), want) << join;
  EXPECT_LT(r.err.size(), 4000u) << "the message is not bounded";
  EXPECT_EQ(before, Snapshot(root)) << "the input folder changed:" << join;
  EXPECT_FALSE(fs::exists(fs::symlink_status(out))) << out << " was written";
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
}

TEST_P(Hostile, EverySubcommandGivesTheSameOneLineError) {
  const Case& c = GetParam();
  const fs::path m = tmp / "in" / "m";
  fs::create_directories(m);
  c.make(m);
  const fs::path out = tmp / "new" / "out";
  for (const char* cmd : {"quantize", "dequantize"}) {
    std::vector<std::string> args{cmd, m.string(), out.string()};
    if (std::string(cmd) == "quantize") args.push_back("--uint8");
    Check(tmp / "in", m, args, out, c.code, c.first_line);
  }
  Check(tmp / "in", m, {"inspect", m.string(), "--html", (tmp / "new" / "r.html").string()}, tmp / "new" / "r.html", c.code,
        c.first_line);
  EXPECT_FALSE(fs::exists(tmp / "new")) << "a parent folder was left behind";
}

INSTANTIATE_TEST_SUITE_P(Corpus, Hostile, ::testing::ValuesIn(ModelCases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// ------------------------------------------------- the output and the flags

class HostileOut : public ::testing::Test {
 protected:
  TempDir tmp;
  const fs::path m = tmp / "in" / "m";
  void SetUp() override { Json(ModelJson(Group(kEntry)))(m); }
  // `args` must fail with `code` and `first_line` ({m}: the model, {t}: tmp),
  // leave the input as it was, and write nothing at `out`.
  void Refused(const std::vector<std::string>& args, const fs::path& out, int code, const std::string& first_line) {
    Check(tmp / "in", m, args, out, code, Replace(first_line, "{t}", tmp.path().string()));
  }
};

TEST_F(HostileOut, OutThatTouchesTheInput) {
  Refused({"quantize", m.string(), m.string(), "--uint8", "--force"}, tmp / "none", 4,
          "output {m} is inside the input folder {m}; choose an output folder elsewhere (tfjs-quant never writes into "
          "its input)");
  Refused({"quantize", m.string(), (m / "sub" / "out").string(), "--uint8"}, m / "sub", 4,
          "output {m}/sub/out is inside the input folder {m}; choose an output folder elsewhere (tfjs-quant never "
          "writes into its input)");
  Refused({"quantize", m.string(), (tmp / "in").string(), "--uint8", "--force"}, tmp / "none", 4,
          "output {t}/in contains the input folder {m}; choose another output folder");
  Refused({"dequantize", (m / "model.json").string(), (m / kShard).string(), "--force"}, tmp / "none", 4,
          "output {m}/group1-shard1of1.bin is or contains the input file {m}/group1-shard1of1.bin; choose another "
          "output folder");
  Refused({"inspect", m.string(), "--html", (m / "model.json").string()}, tmp / "none", 4,
          "{m}/model.json is the input file {m}/model.json; tfjs-quant never writes over its input");
  Refused({"inspect", m.string(), "--html", (m / kShard).string()}, tmp / "none", 4,
          "{m}/group1-shard1of1.bin is the input file {m}/group1-shard1of1.bin; tfjs-quant never writes over its input");
}

TEST_F(HostileOut, OutThatIsAFileALinkOrNothing) {
  WriteFile(tmp / "file", "mine");
  Refused({"quantize", m.string(), (tmp / "file").string(), "--uint8", "--force"}, tmp / "none", 4,
          "output {t}/file exists and is not a folder");
  EXPECT_EQ(ReadFile(tmp / "file"), "mine");
  WriteFile(tmp / "target/keep.txt", "mine");
  fs::create_symlink(tmp / "target", tmp / "link");
  Refused({"quantize", m.string(), (tmp / "link").string(), "--uint8", "--force"}, tmp / "none", 4,
          "output {t}/link is a symbolic link; name the folder itself (tfjs-quant does not write through links)");
  EXPECT_EQ(ReadFile(tmp / "target/keep.txt"), "mine");
  EXPECT_EQ(FilesIn(tmp / "target").size(), 1u);
  Refused({"quantize", m.string(), "", "--uint8"}, tmp / "none", 2, "the output folder's name is empty");
  Refused({"quantize", "", (tmp / "out").string(), "--uint8"}, tmp / "out", 2, "the model path is empty");
  ::mkfifo((tmp / "fifo.json").c_str(), 0644);
  Refused({"inspect", (tmp / "fifo.json").string()}, tmp / "none", 3, "{t}/fifo.json is neither a regular file nor a folder");
}

// The JSON a user names is theirs to name: ':' and '#' are fine there, and
// a link to it is followed. Only shard paths from the manifest are held to
// the folder's rules.
TEST_F(HostileOut, JsonFileNamesAreTheUsers) {
  for (const char* name : {"model:v1.json", "m#1.json", "current.json"}) {
    const fs::path json = m / name;
    if (std::string(name) == "current.json") fs::create_symlink(m / "model.json", json);
    else fs::copy_file(m / "model.json", json);
    const fs::path out = tmp / (std::string("out-") + name);
    RunResult r = cli_util::Run(kBin, {"quantize", json.string(), out.string(), "--float16"});
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_TRUE(fs::exists(out / name)) << name;
  }
}

// A folder the tool may not write into. Root may write anywhere, so as root
// the tool runs as nobody (setpriv), on a copy of the model nobody can read.
TEST_F(HostileOut, ReadOnlyOut) {
  const fs::path ro = tmp / "ro";
  fs::create_directories(ro);
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  for (const auto& e : fs::recursive_directory_iterator(tmp / "in"))
    fs::permissions(e.path(), fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read | fs::perms::others_exec);
  std::vector<std::string> args{"quantize", m.string(), (ro / "out").string(), "--uint8"};
  std::string bin = kBin;
  if (::geteuid() == 0) {
    args.insert(args.begin(), {"--reuid=65534", "--regid=65534", "--clear-groups", "--", kBin});
    bin = "/usr/bin/setpriv";
  }
  RunResult r = cli_util::Run(bin, args);
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "tfjs-quant: error: cannot create a folder in " + ro.string() + ": Permission denied");
  EXPECT_TRUE(fs::is_empty(ro));
}

// A disk that fills up while writing (a file-size limit stands in for it):
// exit 5, nothing left, and with --force the old OUT is still there.
TEST_F(HostileOut, FullDiskKeepsTheOldOut) {
  std::vector<float> v(4096, 0.5f);
  std::string bytes(v.size() * 4, '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());
  Json(ModelJson(Group(R"({"name": "w", "shape": [4096], "dtype": "float32"})")), bytes)(m);
  const fs::path out = tmp / "out";
  WriteFile(out / "mine.txt", "old output");
  const auto before = Snapshot(out);
  for (const char* cmd : {"dequantize", "quantize"}) {
    RunResult r = cli_util::Run("/usr/bin/prlimit", {"--fsize=1000", "--", kBin, cmd, m.string(), out.string(), "--force"});
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.code, 5) << r.err;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "tfjs-quant: error: " + out.string() + "/group1-shard1.part: File too large");
    EXPECT_EQ(Snapshot(out), before) << "the old OUT changed";
    EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
  }
  RunResult h = cli_util::Run("/usr/bin/prlimit", {"--fsize=1000", "--", kBin, "inspect", m.string(), "--html", (tmp / "r.html").string()});
  EXPECT_EQ(h.code, 5) << h.err;
  EXPECT_EQ(h.err.substr(0, h.err.find('\n')), "tfjs-quant: error: cannot write " + (tmp / "r.html").string() + ": File too large");
  EXPECT_FALSE(fs::exists(tmp / "r.html"));
  EXPECT_EQ(HiddenTempsBeside(tmp / "r.html"), std::vector<std::string>{});
}

TEST_F(HostileOut, FlagsOutOfRange) {
  const fs::path out = tmp / "out";
  for (const char* size : {"18446744073709551616", "0", "-5", "1e3", "4 MiB", ""}) {
    Refused({"quantize", m.string(), out.string(), "--uint8", "--weight_shard_size_bytes", size}, out, 2,
            std::string("--weight_shard_size_bytes '") + size +
                "': expected a whole number of bytes from 1 to 18446744073709551615");
  }
  Refused({"inspect", m.string(), "--limit", "depth=5"}, out, 2,
          "unknown limit 'depth'; known limits: json_bytes, json_depth, rank, tensor_elements, weights, groups, "
          "shards, string_bytes");
  Refused({"inspect", m.string(), "--limit", "json_depth"}, out, 2, "--limit 'json_depth': expected NAME=N, e.g. json_depth=5000");
  Refused({"inspect", m.string(), "--limit", "json_depth=0"}, out, 2,
          "--limit json_depth '0': expected a whole number from 1 to 18446744073709551615");
  Refused({"auto", m.string(), out.string(), "--budget", "sqnr>=\x1b[2Jabc"}, out, 2,
          "budget 'sqnr>=\\x1b[2Jabc': '\\x1b[2Jabc' is not a number (expected METRIC OP NUMBER, e.g. 'sqnr>=30', "
          "'cosine>=0.999', 'maxabs<=0.01', 'top1>=0.99', 'score>=0.95'; OP is >=, >, <= or <)");
  // 12,000 bytes in shards of 1 byte: more files than the limit.
  Json(ModelJson(Group(R"({"name": "w", "shape": [3000], "dtype": "float32"})")), std::string(12000, '\0'))(m);
  Refused({"quantize", m.string(), out.string(), "--weight_shard_size_bytes", "1"}, out, 9,
          "the output would need 12000 shard files of at most 1 byte, more than the limit shards (10000) allows; "
          "choose a larger shard size; to allow it, pass --limit shards=N (docs/safety.md)");
}

// ------------------------------------------------------------------- scale

// ASan reserves far more address space than any limit below would allow.
#if defined(__SANITIZE_ADDRESS__)
#define TFQ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TFQ_ASAN 1
#endif
#endif

// Large but valid inputs that used to fail: they now run, within bounds.
class Scale : public ::testing::Test {
 protected:
  TempDir tmp;
  const fs::path m = tmp / "m";
  RunResult Tool(const std::vector<std::string>& args, const std::string& address_space = "") {
#if defined(TFQ_ASAN)
    (void)address_space;
    return cli_util::Run(kBin, args);
#else
    if (address_space.empty()) return cli_util::Run(kBin, args);
    std::vector<std::string> all{"--as=" + address_space, "--", kBin};
    all.insert(all.end(), args.begin(), args.end());
    return cli_util::Run("/usr/bin/prlimit", all);
#endif
  }
};

TEST_F(Scale, TwoThousandShards) {
  std::string entries, paths;
  for (int i = 0; i < 2000; ++i) {
    const std::string shard = "s" + std::to_string(i) + ".bin";
    WriteFile(m / shard, F32({static_cast<float>(i)}));
    entries += (i ? ", " : "") + Replace(kEntry, "\"w\", \"shape\": [2]", "\"w" + std::to_string(i) + "\", \"shape\": [1]");
    paths += std::string(i ? ", " : "") + "\"" + shard + "\"";
  }
  WriteFile(m / "model.json", ModelJson(Group(entries, "[" + paths + "]")));
  RunResult r = Tool({"quantize", m.string(), (tmp / "out").string(), "--float16"});
  EXPECT_EQ(r.code, 0) << r.err.substr(0, 500);
  EXPECT_EQ(Load(tmp / "out").entries.size(), 2000u);
}

TEST_F(Scale, SixteenMillionEmptyStrings) {
  const size_t n = size_t{1} << 24;
  WriteFile(m / kShard, std::string(4 * n, '\0'));
  WriteFile(m / "model.json", ModelJson(Group(R"({"name": "s", "shape": [16777216], "dtype": "string"})")));
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r = Tool({"inspect", m.string(), "--no-wire"});
  EXPECT_EQ(r.code, 0) << r.err;
  // Not a benchmark: a guard against one read per element coming back.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
}

TEST_F(Scale, ManyTinyTensorsInTwoGiB) {
  for (size_t count : {size_t{65536}, size_t{200000}}) {
    std::string entries;
    entries.reserve(count * 50);
    for (size_t i = 0; i < count; ++i)
      entries += (i ? ", " : "") + std::string("{\"name\": \"t") + std::to_string(i) + "\", \"shape\": [1], \"dtype\": \"float32\"}";
    WriteFile(m / kShard, std::string(4 * count, '\0'));
    WriteFile(m / "model.json", ModelJson(Group(entries)));
    RunResult r = Tool({"inspect", m.string(), "--no-wire"}, "2147483648");
    EXPECT_EQ(r.signal, 0);
    if (count <= 65536) {
      EXPECT_EQ(r.code, 0) << r.err.substr(0, 500);
    } else {
      EXPECT_EQ(r.code, 9) << r.err.substr(0, 500);
      EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
                "tfjs-quant: error: model.json: weightsManifest[0].weights[65536]: more than 65536 weights exceed the "
                "limit weights (65536); to allow it, pass --limit weights=N (docs/safety.md)");
    }
  }
}

TEST_F(Scale, OneChannelPerElementInTwoGiBAndOutOfMemory) {
  const size_t n = size_t{1} << 25;
  WriteFile(m / kShard, std::string(4 * n, '\0'));
  WriteFile(m / "model.json", ModelJson(Group(R"({"name": "w", "shape": [1, 33554432], "dtype": "float32"})")));
  RunResult r = Tool({"inspect", m.string(), "--no-wire", "--json"}, "2147483648");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("33554432 channels on axis 1, more than 65536: whole tensor only"), std::string::npos);
#if !defined(TFQ_ASAN)
  // 100 MiB of address space cannot hold the 128 MiB tensor: exit 10, and
  // nothing left behind.
  const fs::path out = tmp / "out";
  RunResult oom = Tool({"quantize", m.string(), out.string(), "--uint8", "--threads", "1"}, std::to_string(100 << 20));
  EXPECT_EQ(oom.signal, 0);
  EXPECT_EQ(oom.code, 10) << oom.err;
  EXPECT_EQ(oom.err, "tfjs-quant: error: cannot allocate 134217728 bytes for weight 'w'\n");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
#endif
}

TEST_F(Scale, FiftyThousandGroups) {
  std::string groups;
  for (int g = 0; g < 50000; ++g) groups += std::string(g ? ", " : "") + R"({"paths": [], "weights": []})";
  WriteFile(m / "model.json", ModelJson("[" + groups + "]"));
  RunResult r = Tool({"inspect", m.string(), "--no-wire"}, "2147483648");
  EXPECT_EQ(r.code, 9) << r.err;
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "tfjs-quant: error: model.json: weightsManifest: 50000 weight groups exceed the limit groups (4096); to "
            "allow it, pass --limit groups=N (docs/safety.md)");
  RunResult raised = Tool({"inspect", m.string(), "--no-wire", "--limit", "groups=50000"}, "2147483648");
  EXPECT_EQ(raised.code, 0) << raised.err;
}

// Accepted on purpose, as browsers accept them: a UTF-8 byte order mark,
// and finite min/scale at the edge of float64.
TEST_F(Scale, OdditiesTfjsAccepts) {
  Json("\xEF\xBB\xBF" + ModelJson(Group(R"({"name": "w", "shape": [2], "dtype": "float32", "quantization": )"
                                         R"({"dtype": "uint16", "min": -1e308, "scale": 1e300}})")),
       std::string(4, '\x01'))(m);
  RunResult r = Tool({"quantize", m.string(), (tmp / "out").string(), "--float16"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(tmp / "out" / "model.json").substr(0, 3), "\xEF\xBB\xBF");
}

}  // namespace
