// SPDX-License-Identifier: Apache-2.0
// ReadSafetensors over a file laid out byte for byte as the format
// specifies (tests/pack/make_safetensors.py), then over hostile headers
// built here.
#include <gtest/gtest.h>

#include <set>

#include "pack/fixtures.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

namespace tfq {
namespace {

using pack_test::ReadBytes;
using pack_test::Slurp;

// The folder of make_safetensors.py's fixtures, written once per build
// (empty, with a test failure, when the script fails).
std::string FixtureDir() { return pack_test::WriterFixtures("make_safetensors.py").string(); }

TEST(Safetensors, ReadsEveryDType) {
  const std::string dir = FixtureDir();
  ASSERT_FALSE(dir.empty()) << "make_safetensors.py failed";
  auto source = DiskSource::Create(dir);
  ASSERT_TRUE(source.ok()) << source.status().message();
  std::vector<SourceTensor> out;
  Status st = ReadSafetensors(**source, "model.safetensors", Limits{}, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  // In the file's data order, which the reader keeps.
  const std::vector<pack_test::ExpectedTensor> expected = pack_test::LoadExpected(dir);
  pack_test::ExpectTensors(out, expected);
  std::set<std::string> dtypes;
  for (const SourceTensor& t : out) EXPECT_NE(t.origin.find("model.safetensors"), std::string::npos) << t.origin;
  for (const pack_test::ExpectedTensor& e : expected) dtypes.insert(e.dtype);
  EXPECT_EQ(dtypes.size(), 13u);  // every dtype the reader knows
}

TEST(Safetensors, RefusesEightBitFloats) {
  const std::string dir = FixtureDir();
  ASSERT_FALSE(dir.empty());
  auto source = DiskSource::Create(dir);
  ASSERT_TRUE(source.ok());
  std::vector<SourceTensor> out;
  Status st = ReadSafetensors(**source, "f8.safetensors", Limits{}, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("tensor 'w': dtype 'F8_E4M3' cannot be read"), std::string::npos) << st.message();
}

std::string Make(std::string_view header, std::string_view buffer) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + std::string(header) + std::string(buffer);
}

// The reader keeps reading `bytes` in place through its tensors: they must
// outlive them (a temporary would not, hence the deleted overload).
Status ReadMem(std::string&& bytes, std::vector<SourceTensor>* out, const Limits& limits = {}) = delete;
Status ReadMem(const std::string& bytes, std::vector<SourceTensor>* out, const Limits& limits = {}) {
  SpanFiles files;
  files.Add("m.safetensors", bytes);
  return ReadSafetensors(files, "m.safetensors", limits, out);
}

void ExpectRefused(const std::string& bytes, StatusCode code, std::string_view phrase, const Limits& limits = {}) {
  std::vector<SourceTensor> out;
  pack_test::ExpectRefused(ReadMem(bytes, &out, limits), out, code, phrase);
}

TEST(Safetensors, ListsInDataOrderWithGapsAndPadding) {
  const std::string header =
      R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"__metadata__":{"k":"v"},)"
      R"("a":{"dtype":"I16","shape":[1,2],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[6,6]}}   )";
  std::vector<SourceTensor> out;
  const std::string bytes = Make(header, "\1\2\3\4\5\6\7");
  Status st = ReadMem(bytes, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "a");
  EXPECT_EQ(out[1].name, "b");
  EXPECT_EQ(out[2].name, "e");
  EXPECT_EQ(ReadBytes(out[1], 0, 2, &st), "\5\6");
}

TEST(Safetensors, RefusesHostileHeaders) {
  auto t = [](std::string_view dtype, std::string_view shape, std::string_view offsets) {
    return R"({"t":{"dtype":")" + std::string(dtype) + R"(","shape":)" + std::string(shape) +
           R"(,"data_offsets":)" + std::string(offsets) + "}}";
  };
  const std::string data(16, 'x');
  ExpectRefused("1234567", StatusCode::kFormatError, "shorter than the 8-byte header length");
  std::string huge(8, '\0');
  huge[7] = 0x10;  // 2^60 bytes of header
  ExpectRefused(huge + "{}", StatusCode::kFormatError, "above the format's cap");
  std::string cap(8, '\0');
  cap[0] = 0x01, cap[1] = 0xE1, cap[2] = 0xF5, cap[3] = 0x05;  // 100,000,001
  ExpectRefused(cap + "{}", StatusCode::kFormatError, "above the format's cap");
  ExpectRefused(Make("{}", "").substr(0, 9), StatusCode::kFormatError, "runs past the end of the file");
  Limits small_json;
  small_json.json_bytes = 4;
  ExpectRefused(Make(t("F32", "[4]", "[0,16]"), data), StatusCode::kLimitExceeded, "json_bytes", small_json);
  ExpectRefused(Make(" {}", ""), StatusCode::kFormatError, "does not start with '{'");
  ExpectRefused(Make("{\"t\": [1,", ""), StatusCode::kFormatError, "invalid JSON");
  ExpectRefused(Make(std::string(2000, '{'), ""), StatusCode::kLimitExceeded, "json_depth");
  ExpectRefused(Make(R"({"t":1})", ""), StatusCode::kFormatError, "tensor 't': expected an object");
  ExpectRefused(Make(R"({"t":{"dtype":"F32","shape":[4]}})", data), StatusCode::kFormatError, "lacks \"data_offsets\"");
  ExpectRefused(Make(t("F32", "[4]", "[16,0]"), data), StatusCode::kFormatError, "begin after they end");
  ExpectRefused(Make(t("F32", "[4]", "[0,16]"), data.substr(1)), StatusCode::kFormatError,
                "end past the data buffer (15 bytes)");
  ExpectRefused(Make(t("F32", "[4]", "[0,18446744073709551615]"), data), StatusCode::kFormatError,
                "end past the data buffer");
  ExpectRefused(Make(t("F32", "[3]", "[0,16]"), data), StatusCode::kFormatError, "shape [3] of F32 needs 12 bytes");
  ExpectRefused(Make(t("F32", "[4]", "[0,-16]"), data), StatusCode::kFormatError, "not [begin, end]");
  ExpectRefused(Make(t("F32", "[4]", "[0]"), data), StatusCode::kFormatError, "not [begin, end]");
  ExpectRefused(Make(t("F32", "[-4]", "[0,16]"), data), StatusCode::kFormatError, "not a non-negative integer");
  ExpectRefused(Make(t("F32", "[4.0]", "[0,16]"), data), StatusCode::kFormatError, "not a non-negative integer");
  ExpectRefused(Make(t("F32", "4", "[0,16]"), data), StatusCode::kFormatError, "\"shape\" is the number 4");
  ExpectRefused(Make(t("F32", "[1099511627776,1099511627776]", "[0,16]"), data), StatusCode::kLimitExceeded,
                "tensor_elements");
  ExpectRefused(Make(R"({"t":{"dtype":7,"shape":[4],"data_offsets":[0,16]}})", data), StatusCode::kFormatError,
                "\"dtype\" is the number 7");
  ExpectRefused(Make(t("C64", "[2]", "[0,16]"), data), StatusCode::kUnsupported, "dtype 'C64' cannot be read");
  ExpectRefused(Make(t("F8_E5M2", "[16]", "[0,16]"), data), StatusCode::kUnsupported, "dtype 'F8_E5M2'");
  ExpectRefused(Make(R"({"__metadata__":{"a":1}})", ""), StatusCode::kFormatError, "entry 'a' is the number 1");
  ExpectRefused(Make(R"({"__metadata__":[]})", ""), StatusCode::kFormatError, "\"__metadata__\" is");
  ExpectRefused(Make("[]", ""), StatusCode::kFormatError, "does not start with '{'");
  ExpectRefused(
      Make(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[7,15]}})",
           data),
      StatusCode::kFormatError, "tensors 'a' [0, 8) and 'b' [7, 15) overlap");
  ExpectRefused(
      Make(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"a":{"dtype":"U8","shape":[8],"data_offsets":[8,16]}})",
           data),
      StatusCode::kFormatError, "names 'a' twice");
  ExpectRefused(Make(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8],"dtype":"I8"}})", data),
                StatusCode::kFormatError, "names 'dtype' twice in tensor 'a'");
  ExpectRefused(Make(R"({"a\u0000\n":1})", ""), StatusCode::kFormatError, "tensor 'a\\x00\\n'");
  Limits two;
  two.weights = 1;
  ExpectRefused(
      Make(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[8,16]}})",
           data),
      StatusCode::kLimitExceeded, "2 tensors exceed the limit weights", two);
  std::string rank33 = "[";
  for (int i = 0; i < 33; ++i) rank33 += i ? ",1" : "1";
  ExpectRefused(Make(t("F32", rank33 + "]", "[0,4]"), data), StatusCode::kLimitExceeded, "rank");
}

// Every prefix of the real file, and bytes of its header changed: each
// either lists tensors that read whole or fails with a Status.
TEST(Safetensors, SurvivesTruncationAndCorruption) {
  const std::string dir = FixtureDir();
  ASSERT_FALSE(dir.empty());
  const std::string good = Slurp(dir + "/model.safetensors");
  auto exercise = [](const std::string& bytes) {
    std::vector<SourceTensor> out;
    pack_test::ExpectFailsCleanlyOrReads(ReadMem(bytes, &out), out);
  };
  for (size_t n = 0; n < good.size(); n += 3) exercise(good.substr(0, n));
  const size_t header_end = good.find("}}") + 40;
  for (size_t i = 0; i < header_end && i < good.size(); ++i) {
    for (char c : {'0', '9', ']', '"'}) {
      std::string bytes = good;
      bytes[i] = c;
      exercise(bytes);
    }
  }
}

}  // namespace
}  // namespace tfq
