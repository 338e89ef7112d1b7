// SPDX-License-Identifier: Apache-2.0
// ReadNpy and ReadNpz over what numpy writes (tests/pack/make_numpy.py),
// checked element for element against numpy's own bytes, then over
// hand-made hostile headers.
#include <gtest/gtest.h>

#include <map>

#include "pack/fixtures.h"
#include "tfjs_quant/disk.h"
#include "tfjs_quant/io.h"
#include "tfjs_quant/pack.h"

namespace tfq {
namespace {

using pack_test::ExpectedTensor;
using pack_test::ReadBytes;
using pack_test::Slurp;

// expected.json, by source file, in the order make_numpy.py wrote them.
std::map<std::string, std::vector<ExpectedTensor>> ExpectedBySource(const std::filesystem::path& dir) {
  std::map<std::string, std::vector<ExpectedTensor>> out;
  for (ExpectedTensor& e : pack_test::LoadExpected(dir)) out[e.source].push_back(std::move(e));
  return out;
}

// pack_test::ExpectTensor, then the bytes in 7-byte pieces (which split
// elements, and for Fortran-ordered arrays gather them).
void ExpectArray(const SourceTensor& t, const ExpectedTensor& e) {
  pack_test::ExpectTensor(t, e);
  if (t.byte_size() != e.bytes.size()) return;
  std::string pieces;
  for (uint64_t at = 0; at < e.bytes.size(); at += 7) {
    pieces += ReadBytes(t, at, std::min<uint64_t>(7, e.bytes.size() - at));
  }
  EXPECT_EQ(pieces, e.bytes) << t.origin;
}

// Over make_numpy.py's fixtures, written once per build (fixtures.h).
class NpyTest : public pack_test::WriterTest {
 protected:
  NpyTest() : WriterTest("make_numpy.py") {}
};

TEST_F(NpyTest, ReadsEveryArrayNumpySaves) {
  auto expected = ExpectedBySource(dir_);
  int npy = 0;
  for (const auto& [file, arrays] : expected) {
    if (!file.ends_with(".npy")) continue;
    ++npy;
    std::vector<SourceTensor> out;
    Status st = ReadNpy(*source_, file, arrays[0].name, Limits{}, &out);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].origin.find(file), std::string::npos);
    ExpectArray(out[0], arrays[0]);
  }
  EXPECT_EQ(npy, 22);  // 20 dtypes and layouts, the 2.0 and 3.0 formats
}

TEST_F(NpyTest, ReadsNpzStoredDeflatedAndZip64) {
  auto expected = ExpectedBySource(dir_);
  for (const char* file : {"savez.npz", "savez_compressed.npz", "savez_zip64.npz"}) {
    SCOPED_TRACE(file);
    std::vector<SourceTensor> out;
    Status st = ReadNpz(*source_, file, Limits{}, &out);
    ASSERT_TRUE(st.ok()) << st.message();
    const auto& arrays = expected[file];
    ASSERT_EQ(out.size(), arrays.size());
    for (const ExpectedTensor& e : arrays) {
      auto it = std::find_if(out.begin(), out.end(), [&](const SourceTensor& t) { return t.name == e.name; });
      ASSERT_NE(it, out.end()) << e.name;
      EXPECT_NE(it->origin.find(file + std::string(": '") + e.name + ".npy'"), std::string::npos) << it->origin;
      ExpectArray(*it, e);
    }
  }
  // The archive's order: numpy writes keyword arrays first.
  std::vector<SourceTensor> out;
  ASSERT_TRUE(ReadNpz(*source_, "savez.npz", Limits{}, &out).ok());
  std::vector<std::string> names;
  for (const auto& t : out) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"w", "b", "big", "flags", "arr_0", "arr_1"}));
}

TEST_F(NpyTest, RefusesWhatTfjsCannotHold) {
  for (auto [file, phrase] : {std::pair{"object.npy", "dtype '|O' (Python objects)"},
                              std::pair{"unicode.npy", "dtype '<U2' (strings)"},
                              std::pair{"complex.npy", "dtype '<c8' (complex numbers)"},
                              std::pair{"structured.npy", "a structured dtype"}}) {
    std::vector<SourceTensor> out;
    Status st = ReadNpy(*source_, file, "x", Limits{}, &out);
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << file;
    EXPECT_NE(st.message().find(phrase), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(file), std::string::npos) << st.message();
    EXPECT_TRUE(out.empty());
  }
}

TEST_F(NpyTest, RefusesNpzMembersThatAreNotArrays) {
  std::vector<SourceTensor> out;
  Status st = ReadNpz(*source_, "not_array.npz", Limits{}, &out);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("'notes.txt': not an array"), std::string::npos) << st.message();
  out.clear();
  st = ReadNpz(*source_, "bad_member.npz", Limits{}, &out);
  EXPECT_EQ(st.code(), StatusCode::kFormatError);
  EXPECT_NE(st.message().find("'w.npy': not an npy file"), std::string::npos) << st.message();
  out.clear();
  Limits limits;
  limits.weights = 5;
  st = ReadNpz(*source_, "savez.npz", limits, &out);
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(st.message().find("6 arrays exceed the limit weights"), std::string::npos) << st.message();
}

// An npy file: the preamble of `version`, `header` padded with spaces to
// 64 bytes and a newline, then `data`.
std::string MakeNpy(std::string header, std::string_view data, int version = 1) {
  const size_t pre = version == 1 ? 10 : 12;
  while ((pre + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  for (size_t i = 0; i < pre - 8; ++i) out += static_cast<char>(header.size() >> (8 * i));
  return out + header + std::string(data);
}

Status ReadMem(const std::string& bytes, std::vector<SourceTensor>* out, const Limits& limits = {}) {
  SpanFiles files;
  files.Add("a.npy", bytes);
  return ReadNpy(files, "a.npy", "a", limits, out);
}

void ExpectRefused(const std::string& bytes, StatusCode code, std::string_view phrase, const Limits& limits = {}) {
  std::vector<SourceTensor> out;
  pack_test::ExpectRefused(ReadMem(bytes, &out, limits), out, code, phrase);
}

TEST(NpyHostile, RefusesBadHeaders) {
  const std::string f4x3(12, '\1');
  auto h = [](std::string_view shape, std::string_view descr = "'<f4'", std::string_view fortran = "False") {
    return "{'descr': " + std::string(descr) + ", 'fortran_order': " + std::string(fortran) +
           ", 'shape': " + std::string(shape) + ", }";
  };
  // Accepted variants: Python 2 longs, double quotes, no trailing comma,
  // a 1-d "Fortran" array, the 2.0 preamble.
  for (const std::string& ok : {MakeNpy(h("(3L,)"), f4x3), MakeNpy("{\"descr\": \"<f4\", \"shape\": (3,), \"fortran_order\": False}", f4x3),
                                MakeNpy(h("(3,)", "'<f4'", "True"), f4x3), MakeNpy(h("(1, 3)", "'<f4'", "True"), f4x3),
                                MakeNpy(h("(3,)"), f4x3, 2)}) {
    std::vector<SourceTensor> out;
    Status st = ReadMem(ok, &out);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].num_elements, 3u);
  }
  ExpectRefused(MakeNpy(h("(3,)"), f4x3.substr(1)), StatusCode::kFormatError, "expected 12 bytes of data, found 11 bytes");
  ExpectRefused(MakeNpy(h("(3,)"), f4x3 + "x"), StatusCode::kFormatError, "expected 12 bytes of data, found 13 bytes");
  ExpectRefused(MakeNpy(h("(1099511627776, 1099511627776)"), f4x3), StatusCode::kLimitExceeded, "tensor_elements");
  ExpectRefused(MakeNpy(h("(99999999999999999999,)"), f4x3), StatusCode::kFormatError, "beyond 2^63");
  ExpectRefused(MakeNpy(h("(-3,)"), f4x3), StatusCode::kFormatError, "expected a dimension");
  ExpectRefused(MakeNpy(h("(3)"), f4x3), StatusCode::kFormatError, "'(n)', an integer");
  ExpectRefused(MakeNpy(h("(3, 3.5)"), f4x3), StatusCode::kFormatError, "expected ','");
  ExpectRefused(MakeNpy(h("(3,)", "'<f4'", "1"), f4x3), StatusCode::kFormatError, "expected True or False");
  ExpectRefused(MakeNpy(h("(3,)", "'|f4'"), f4x3), StatusCode::kFormatError, "no byte order");
  ExpectRefused(MakeNpy(h("(3,)", "'f4'"), f4x3), StatusCode::kFormatError, "does not start with a byte order");
  ExpectRefused(MakeNpy(h("(3,)", "'<f16'"), f4x3), StatusCode::kUnsupported, "dtype '<f16'");
  ExpectRefused(MakeNpy(h("(3,)", "'<M8[s]'"), f4x3), StatusCode::kUnsupported, "dates and times");
  ExpectRefused(MakeNpy(h("(3,)", "'<f\\x34'"), f4x3), StatusCode::kFormatError, "backslash");
  ExpectRefused(MakeNpy("{'descr': '<f4", f4x3), StatusCode::kFormatError, "unterminated string");
  ExpectRefused(MakeNpy(h("(3,)", "__import__('os')"), f4x3), StatusCode::kFormatError, "expected a string");
  ExpectRefused(MakeNpy("{'descr': '<f4', 'shape': (3,), }", f4x3), StatusCode::kFormatError, "lacks the key 'fortran_order'");
  ExpectRefused(MakeNpy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4x3),
                StatusCode::kFormatError, "'descr' a second time");
  ExpectRefused(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", f4x3),
                StatusCode::kFormatError, "the key 'x'");
  ExpectRefused(MakeNpy(h("(3,)") + " 1", f4x3), StatusCode::kFormatError, "more after the closing '}'");
  ExpectRefused(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", f4x3), StatusCode::kFormatError,
                "expected ','");
  std::string rank33 = "(";
  for (int i = 0; i < 33; ++i) rank33 += "1, ";
  ExpectRefused(MakeNpy(h(rank33 + ")"), f4x3), StatusCode::kLimitExceeded, "rank");
  Limits small;
  small.tensor_elements = 2;
  ExpectRefused(MakeNpy(h("(3,)"), f4x3), StatusCode::kLimitExceeded, "tensor_elements", small);

  // Preambles.
  ExpectRefused("\x93NUMPY\1", StatusCode::kFormatError, "not an npy file");
  ExpectRefused("PK\3\4 not npy at all", StatusCode::kFormatError, "not an npy file");
  std::string v4 = MakeNpy(h("(3,)"), f4x3, 2);
  v4[6] = 4;
  ExpectRefused(v4, StatusCode::kUnsupported, "version 4.0");
  std::string long_header = MakeNpy(h("(3,)"), f4x3, 2);
  long_header[11] = 0x7F;  // a 2 GiB header
  ExpectRefused(long_header, StatusCode::kFormatError, "an npy header of");
  std::string past_end = MakeNpy(h("(3,)"), f4x3);
  past_end[9] = 0x7F;
  ExpectRefused(past_end, StatusCode::kFormatError, "runs past the end of the file");
}

// Every prefix of a few real files, and every header byte changed: each
// either reads whole or fails with a Status.
TEST_F(NpyTest, SurvivesTruncationAndCorruption) {
  for (const char* name : {"f4.npy", "fortran_be.npy", "v3.npy"}) {
    const std::string good = Slurp(dir_ / name);
    auto exercise = [](const std::string& bytes) {
      std::vector<SourceTensor> out;
      pack_test::ExpectFailsCleanlyOrReads(ReadMem(bytes, &out), out);
    };
    for (size_t n = 0; n < good.size(); ++n) exercise(good.substr(0, n));
    for (size_t i = 0; i < 128 && i < good.size(); ++i) {
      for (char c : {'\0', '9', ',', ')', '\'', '(', '>'}) {
        std::string bytes = good;
        bytes[i] = c;
        exercise(bytes);
      }
    }
  }
}

}  // namespace
}  // namespace tfq
