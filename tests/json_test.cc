// SPDX-License-Identifier: Apache-2.0
// The JSON layer: Python repr of floats and ensure_ascii strings (what
// tensorflowjs_converter writes; expected texts below come from CPython's
// repr() and json.dumps()), strict parsing with line/column errors, and the
// top-level manifest span that lets the rest of model.json stay byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

#include "json/json.h"
#include "testutil.h"

namespace tfq::json {
namespace {

TEST(PythonFloatRepr, BriefValues) {
  EXPECT_EQ(PythonFloatRepr(1.0), "1.0");
  EXPECT_EQ(PythonFloatRepr(-0.0), "-0.0");
  EXPECT_EQ(PythonFloatRepr(0.0), "0.0");
  EXPECT_EQ(PythonFloatRepr(1e-05), "1e-05");
  EXPECT_EQ(PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PythonFloatRepr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(PythonFloatRepr(3.356984890033899e-05), "3.356984890033899e-05");
  EXPECT_EQ(PythonFloatRepr(0.1), "0.1");
  EXPECT_EQ(PythonFloatRepr(1e-300), "1e-300");
  EXPECT_EQ(PythonFloatRepr(5e-324), "5e-324");
  EXPECT_EQ(PythonFloatRepr(1.7976931348623157e+308), "1.7976931348623157e+308");
  EXPECT_EQ(PythonFloatRepr(123.456), "123.456");
}

// {IEEE bits, CPython repr(float)} for boundary and random doubles.
struct ReprCase {
  uint64_t bits;
  const char* repr;
};

TEST(PythonFloatRepr, MatchesCPythonTable) {
  const ReprCase cases[] = {
      {0x3ff0000000000000ULL, "1.0"},
      {0x8000000000000000ULL, "-0.0"},
      {0x0000000000000000ULL, "0.0"},
      {0x3ee4f8b588e368f1ULL, "1e-05"},
      {0x3f1a36e2eb1c432dULL, "0.0001"},
      {0x3f1cd5f99c38b04bULL, "0.00011"},
      {0x4341c37937e08000ULL, "1e+16"},
      {0x430c6bf526340000ULL, "1000000000000000.0"},
      {0x4341c37937e07fffULL, "9999999999999998.0"},
      {0x43118b54f22aeb00ULL, "1234567890123456.0"},
      {0x4345ee2a2eb5a5c4ULL, "1.2345678901234568e+16"},
      {0x3f0199ab39ab39abULL, "3.356984890033899e-05"},
      {0x3fb999999999999aULL, "0.1"},
      {0x3fd3333333333334ULL, "0.30000000000000004"},
      {0x01a56e1fc2f8f359ULL, "1e-300"},
      {0x0000000000000001ULL, "5e-324"},
      {0x0000000000000003ULL, "1.5e-323"},
      {0x0010000000000000ULL, "2.2250738585072014e-308"},
      {0x000fffffffffffffULL, "2.225073858507201e-308"},
      {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
      {0x405edd2f1a9fbe77ULL, "123.456"},
      {0xbff003366f6f6f70ULL, "-1.0007843354169061"},
      {0x3f81ab44e4e4e4e5ULL, "0.008627451167387121"},
      {0x3fe6666660000000ULL, "0.699999988079071"},
      {0x4059000000000000ULL, "100.0"},
      {0x4480f0cf064dd592ULL, "1e+22"},
      {0x44b52d02c7e14af6ULL, "1e+23"},
      {0xc004000000000000ULL, "-2.5"},
      {0x3fe0000000000000ULL, "0.5"},
      {0x3fd5555555555555ULL, "0.3333333333333333"},
      {0x4340000000000000ULL, "9007199254740992.0"},
      {0x4340000000000001ULL, "9007199254740994.0"},
      {0x43e0000000000000ULL, "9.223372036854776e+18"},
      {0x43f0000000000000ULL, "1.8446744073709552e+19"},
      {0xbe7ad7f29abcaf48ULL, "-1e-07"},
      {0x3f1a36e2eb1c432cULL, "9.999999999999999e-05"},
      {0x3f50624dd2f1a9fcULL, "0.001"},
      {0x419d6f3454000000ULL, "123456789.0"},
      {0x3f33a92a30553262ULL, "0.00030000000000000003"},
      {0xf2a74de452e6b438ULL, "-1.989032661366619e+244"},
      {0x6513270e269e0d37ULL, "7.761117632285041e+178"},
      {0x0c5c7fd0a6a3a450ULL, "3.980498358697587e-249"},
      {0xd23f0824128b2f33ULL, "-1.5432835417340557e+88"},
      {0x1818e811892f902bULL, "1.3647584518757569e-192"},
      {0x9531985d5d9dc9f8ULL, "-1.3701135617873088e-206"},
      {0xe8e25d940ed90475ULL, "-1.7160537630466207e+197"},
      {0x36f675cc81e74ef5ULL, "6.294675241195386e-44"},
      {0x1600a35a099950d8ULL, "1.0613447212142254e-202"},
      {0x6b0d549b6f03675aULL, "4.708325160387546e+207"},
      {0x3d9c172411e20b8fULL, "6.387016158513563e-12"},
      {0x8d116ece1738f7d9ULL, "-9.973130378568733e-246"},
      {0x0f21ddb66cad4a26ULL, "8.779753225680271e-236"},
      {0x90c192cfd3ac94afULL, "-5.795503248498993e-228"},
      {0xf28c105d1fb17c23ULL, "-5.988180159386011e+243"},
      {0xa170b33839263059ULL, "-1.306052388527796e-147"},
      {0x953f48f1a09f76b5ULL, "-2.436117699484841e-206"},
      {0x0fd630f1f29d0da9ULL, "2.233386999150174e-232"},
      {0x95e60af593bd04cfULL, "-3.51527970626667e-203"},
      {0x0cb1e29c658cda14ULL, "1.5987381841032883e-247"},
      {0x3898d190f9ebdaccULL, "4.6678633181812096e-36"},
      {0x8e81973e0becd7b0ULL, "-8.441872792105456e-239"},
      {0x2217beaddbc496cbULL, "1.9015657400796622e-144"},
      {0x6b4cb2424a23d596ULL, "7.370437700706684e+208"},
      {0x8a6a63ec24ede6a4ULL, "-1.7163996725272777e-258"},
      {0x3bc4f43800000000ULL, "8.874355502986873e-21"},
      {0xba44eccb00000000ULL, "-5.282205688012095e-28"},
      {0x41df154700000000ULL, "2085952512.0"},
      {0xb9eda0ab00000000ULL, "-1.1686031327400269e-29"},
      {0xc21db505e0000000ULL, "-31897778176.0"},
      {0xbdd2f75280000000ULL, "-6.899827931228231e-11"},
      {0x3dc882b160000000ULL, "4.458437438681351e-11"},
      {0x3b4c3b7c40000000ULL, "4.670652937752737e-23"},
      {0xba9c77f220000000ULL, "-2.2996702086423875e-26"},
      {0xba474e6d20000000ULL, "-5.883350534896058e-28"},
      {0x40715d3b232f7beeULL, "277.82693785236813"},
      {0xc2d24e8660320755ULL, "-80513884801053.33"},
      {0xbe7778fb89e0e441ULL, "-8.744220500533537e-08"},
      {0x414228cfee863863ULL, "2380191.8634710773"},
      {0x40e19dffd40fa030ULL, "36079.99463635718"},
      {0x4120ebb319949194ULL, "554457.549961614"},
      {0x4104e39dd0ed62c3ULL, "171123.72701527746"},
      {0xbf9c59122b86a5a7ULL, "-0.027683528811086735"},
      {0x42cac60e7149b91eULL, "58875896304498.234"},
      {0x3ea2c76fbb01b0ecULL, "5.596592611684874e-07"},
  };
  for (const auto& c : cases) {
    const double v = std::bit_cast<double>(c.bits);
    EXPECT_EQ(PythonFloatRepr(v), c.repr) << std::hex << c.bits;
    // And it parses back to the same double.
    EXPECT_EQ(std::bit_cast<uint64_t>(std::strtod(c.repr, nullptr)), c.bits) << c.repr;
  }
}

// "-1.25e-07", "0.000125", "125.0" -> {"125", -7}: the significant digits
// and the exponent of the first one, whatever the notation.
std::pair<std::string, int> Canonical(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  const size_t e = std::min(s.find_first_of("eE"), s.size());
  int exp10 = 0;
  if (e < s.size()) std::from_chars(s.data() + e + 1 + (s[e + 1] == '+'), s.data() + s.size(), exp10);
  std::string digits;
  int point = -1;
  for (char c : s.substr(0, e)) {
    if (c == '.') point = static_cast<int>(digits.size());
    else digits += c;
  }
  if (point < 0) point = static_cast<int>(digits.size());
  const size_t lead = std::min(digits.find_first_not_of('0'), digits.size());
  digits.erase(0, lead);
  digits.erase(digits.find_last_not_of('0') + 1);
  return {digits, point - static_cast<int>(lead) - 1 + exp10};
}

// The {fmt} digits the writer uses are libstdc++'s shortest to_chars digits
// (the same contract as Python's repr), over random doubles of every kind:
// any bits (subnormals included), float32 values (what min and scale hold)
// and powers of two (where the rounding interval is lopsided).
TEST(PythonFloatRepr, ShortestDigitsOverRandomDoubles) {
  std::mt19937_64 rng(20261130);
  for (int i = 0; i < 300000; ++i) {
    double v;
    switch (i % 3) {
      case 0: v = std::bit_cast<double>(rng()); break;
      case 1: v = std::bit_cast<float>(static_cast<uint32_t>(rng())); break;
      default: v = std::ldexp(1.0, static_cast<int>(rng() % 2098) - 1074); break;
    }
    if (!std::isfinite(v) || v == 0) continue;
    const std::string repr = PythonFloatRepr(v);
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    ASSERT_EQ(Canonical(repr), Canonical(std::string_view(buf, res.ptr))) << repr;
    ASSERT_EQ(std::bit_cast<uint64_t>(std::strtod(repr.c_str(), nullptr)), std::bit_cast<uint64_t>(v)) << repr;
  }
}

TEST(PythonFloatRepr, NonFiniteTokens) {
  // What Python's json.dump writes (invalid JSON; the writer never emits them).
  EXPECT_EQ(PythonFloatRepr(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(PythonFloatRepr(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(PythonFloatRepr(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(PythonStringLiteral, EnsureAsciiEscaping) {
  EXPECT_EQ(PythonStringLiteral(""), "\"\"");
  EXPECT_EQ(PythonStringLiteral("dense_1/kernel"), "\"dense_1/kernel\"");
  EXPECT_EQ(PythonStringLiteral("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(PythonStringLiteral("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(PythonStringLiteral("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(PythonStringLiteral(std::string("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  // '/' and other printable ASCII stay as they are.
  EXPECT_EQ(PythonStringLiteral("/<>&' ~"), "\"/<>&' ~\"");
  // json.dumps('\x7f') == '"\\u007f"': ensure_ascii escapes everything
  // outside ' '..'~', DEL included.
  EXPECT_EQ(PythonStringLiteral("\x7f"), "\"\\u007f\"");
  // Non-ASCII BMP: lower-case \uXXXX.
  EXPECT_EQ(PythonStringLiteral("\xc3\xa9"), "\"\\u00e9\"");               // é
  EXPECT_EQ(PythonStringLiteral("\xc2\x80"), "\"\\u0080\"");               // U+0080
  EXPECT_EQ(PythonStringLiteral("\xe2\x82\xac"), "\"\\u20ac\"");           // €
  EXPECT_EQ(PythonStringLiteral("\xe2\x80\xa8"), "\"\\u2028\"");           // U+2028
  EXPECT_EQ(PythonStringLiteral("\xef\xbf\xbf"), "\"\\uffff\"");           // U+FFFF
  // Astral: UTF-16 surrogate pairs.
  EXPECT_EQ(PythonStringLiteral("\xf0\x9f\x98\x80"), "\"\\ud83d\\ude00\"");  // U+1F600
  EXPECT_EQ(PythonStringLiteral("\xf4\x8f\xbf\xbf"), "\"\\udbff\\udfff\"");  // U+10FFFF
  EXPECT_EQ(PythonStringLiteral("\xf0\x90\x80\x80"), "\"\\ud800\\udc00\"");  // U+10000
  EXPECT_EQ(PythonStringLiteral("x\xc3\xa9y\xf0\x9f\x98\x80z"), "\"x\\u00e9y\\ud83d\\ude00z\"");
}

TEST(DumpPython, SeparatorsKeyOrderAndTypes) {
  auto v = Parse(
      R"({"k\u00e9y":"v","n":null,"t":true,"f":false,"i":-3,"x":1.0,"e":[],"o":{},)"
      R"("big":18446744073709551615,"neg0":-0.0,"a":[1,2.5,"s"],"z":{"b":1,"a":2}})",
      "t");
  ASSERT_TRUE(v.ok()) << v.status().message();
  // json.dumps of the same object.
  EXPECT_EQ(DumpPython(*v),
            R"({"k\u00e9y": "v", "n": null, "t": true, "f": false, "i": -3, "x": 1.0, "e": [], "o": {}, )"
            R"("big": 18446744073709551615, "neg0": -0.0, "a": [1, 2.5, "s"], "z": {"b": 1, "a": 2}})");
}

TEST(DumpPython, FloatsUseRepr) {
  auto v = Parse("[1e16, 0.00001, 3.356984890033899e-5, 1E2, 2.50, -0e0]", "t");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(DumpPython(*v), "[1e+16, 1e-05, 3.356984890033899e-05, 100.0, 2.5, -0.0]");
}

TEST(DumpPython, StringValuesAndKeysAreEscaped) {
  Json j = Json::object();
  j["n\xc3\xa9"] = "a\"\\\n\xf0\x9f\x98\x80";
  EXPECT_EQ(DumpPython(j), "{\"n\\u00e9\": \"a\\\"\\\\\\n\\ud83d\\ude00\"}");
}

TEST(Parse, ErrorsCarryLabelLineAndColumn) {
  auto r = Parse("{\n  \"a\": [1,\n   2,,]}", "model.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("model.json: ", 0), 0u) << m;
  EXPECT_NE(m.find("line 3, column 6"), std::string::npos) << m;
}

TEST(Parse, TruncatedInput) {
  auto r = Parse("[1, 2", "weights_manifest.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  EXPECT_NE(r.status().message().find("weights_manifest.json"), std::string::npos);
  // The column points at or just past the last character.
  const std::string& m = r.status().message();
  EXPECT_TRUE(m.find("line 1, column 5:") != std::string::npos || m.find("line 1, column 6:") != std::string::npos) << m;
  auto e = Parse("", "m.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("line 1, column 1"), std::string::npos) << e.status().message();
}

TEST(Parse, NaNAndInfinityAreNotJson) {
  for (const char* text : {"{\"min\": NaN}", "{\"min\": Infinity}", "{\"min\": -Infinity}"}) {
    auto r = Parse(text, "model.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kParseError);
    const std::string& m = r.status().message();
    EXPECT_NE(m.find("line 1, column "), std::string::npos) << m;
    EXPECT_NE(m.find("NaN and Infinity are not JSON"), std::string::npos) << m;
  }
}

TEST(Parse, TrailingGarbageAndBadStrings) {
  auto r = Parse("{\"a\": 1}x", "m.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 1, column 9"), std::string::npos) << r.status().message();
  auto s = Parse("\"\\ud800\"", "m.json");  // lone surrogate
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("line 1, column "), std::string::npos) << s.status().message();
  auto u = Parse("\"\xff\"", "m.json");  // invalid UTF-8
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kParseError);
}

// A number too large for a double is reported like any other syntax problem:
// with the file, line and column, not an internal exception tag.
TEST(Parse, NumberOverflowHasLineAndColumn) {
  auto r = Parse("{\n\"min\": 1e999}", "model.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kParseError);
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("model.json: ", 0), 0u) << m;
  EXPECT_NE(m.find("line 2, column "), std::string::npos) << m;
  EXPECT_NE(m.find("1e999"), std::string::npos) << m;
  EXPECT_EQ(m.find("[json.exception"), std::string::npos) << m;
}

TEST(Parse, KeepsKeyOrder) {
  auto r = Parse("{\"z\": 1, \"a\": 2, \"m\": 3}", "t");
  ASSERT_TRUE(r.ok());
  std::string keys;
  for (const auto& [k, v] : r->items()) keys += k;
  EXPECT_EQ(keys, "zam");
}

std::string SpanText(std::string_view text, std::string_view key) {
  auto s = TopLevelMemberSpan(text, key);
  if (!s) return "<none>";
  return std::string(text.substr(s->first, s->second - s->first));
}

TEST(TopLevelMemberSpan, FindsTopLevelValueOnly) {
  const std::string text =
      R"({"modelTopology": {"weightsManifest": [1], "s": "x\"weightsManifest\": {"}, )"
      R"("userDefinedMetadata": {"a": ["weightsManifest", {"weightsManifest": 2}]}, )"
      R"("weightsManifest": [{"paths": ["a.bin"], "weights": []}], "tail": "}"})";
  EXPECT_EQ(SpanText(text, "weightsManifest"), R"([{"paths": ["a.bin"], "weights": []}])");
  EXPECT_EQ(SpanText(text, "tail"), "\"}\"");
  EXPECT_EQ(SpanText(text, "a"), "<none>");
  EXPECT_EQ(SpanText(text, "paths"), "<none>");
}

TEST(TopLevelMemberSpan, EscapedKeySpellingAndWhitespace) {
  const std::string text = "{ \"format\" :\"graph-model\" ,\n\t\"weights\\u004danifest\"\r\n:\n  [ ]  ,\"x\":1}";
  EXPECT_EQ(SpanText(text, "weightsManifest"), "[ ]");
  EXPECT_EQ(SpanText(text, "format"), "\"graph-model\"");
  EXPECT_EQ(SpanText(text, "x"), "1");
  // A key that merely contains the name does not match.
  EXPECT_EQ(SpanText(R"({"weightsManifestX": [], "xweightsManifest": []})", "weightsManifest"), "<none>");
}

TEST(TopLevelMemberSpan, ScalarValuesAndRootKinds) {
  EXPECT_EQ(SpanText(R"({"a":true,"b":null,"c":-1.5e3,"d":"s\\"})", "c"), "-1.5e3");
  EXPECT_EQ(SpanText(R"({"a":true,"b":null,"c":-1.5e3,"d":"s\\"})", "d"), "\"s\\\\\"");
  EXPECT_EQ(SpanText(R"({"a":true,"b":null})", "b"), "null");
  EXPECT_EQ(SpanText("[1, 2]", "a"), "<none>");
  EXPECT_EQ(SpanText("{}", "a"), "<none>");
}

TEST(TopLevelMemberSpan, DuplicateKeyMatchesTheValueParsersUse) {
  // JSON.parse, Python's json and nlohmann all keep the last duplicate.
  const std::string text = R"({"weightsManifest": [1], "x": 0, "weightsManifest": [2]})";
  auto parsed = Parse(text, "t");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(DumpPython((*parsed)["weightsManifest"]), "[2]");
  EXPECT_EQ(SpanText(text, "weightsManifest"), "[2]");
}

TEST(RootValueSpan, TrimsWhitespace) {
  const std::string text = " \n[{\"paths\": [], \"weights\": []}]\r\n ";
  auto [b, e] = RootValueSpan(text);
  EXPECT_EQ(text.substr(b, e - b), "[{\"paths\": [], \"weights\": []}]");
}

TEST(RootValueSpan, SkipsUtf8Bom) {
  const std::string text = "\xEF\xBB\xBF [1, 2] ";
  auto [b, e] = RootValueSpan(text);
  EXPECT_EQ(text.substr(b, e - b), "[1, 2]");
  const std::string obj = "\xEF\xBB\xBF{\"weightsManifest\": []}";
  EXPECT_EQ(SpanText(obj, "weightsManifest"), "[]");
  EXPECT_TRUE(Parse(obj, "t").ok());
}

TEST(Describe, NamesTypeAndValue) {
  EXPECT_EQ(Describe(Json()), "null");
  EXPECT_EQ(Describe(Json("x")), "the string \"x\"");
  EXPECT_EQ(Describe(Json(3)), "the number 3");
  EXPECT_EQ(Describe(Json(true)), "the boolean true");
  EXPECT_EQ(Describe(Json::array()), "an array");
  EXPECT_EQ(Describe(Json::object()), "an object");
}

}  // namespace
}  // namespace tfq::json
