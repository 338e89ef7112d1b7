// SPDX-License-Identifier: Apache-2.0
// Weight selection (spec section 4): GlobMatch must agree with Python's
// fnmatch.fnmatchcase (expected values below were produced by running
// fnmatchcase), SplitPatterns with the converter's comma split, and Plan()
// with map_layers_to_quantization_dtype plus "only float32 is quantized".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil.h"
#include "tfjs_quant/model.h"
#include "tfjs_quant/select.h"

namespace tfq {
namespace {

struct GlobCase {
  const char* pattern;
  const char* name;
  bool match;  // fnmatch.fnmatchcase(name, pattern)
};

TEST(GlobMatch, AgreesWithPythonFnmatchcase) {
  const GlobCase cases[] = {
      // '*' matches any run, including '/' and the empty run.
      {"*", "a/b/c", true},
      {"*", "", true},
      {"**", "", true},
      {"a*", "a/b", true},
      {"a/*", "a/b/c", true},
      {"*/kernel", "dense/kernel", true},
      {"*/kernel", "dense/kernel:0", false},
      {"*c", "abc", true},
      {"*a*", "bab", true},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"a*b*c", "abcbc", true},
      {"*x*y", "xyxxy", true},
      // '?' is exactly one character, '/' included.
      {"?", "a", true},
      {"?", "ab", false},
      {"?", "", false},
      {"?", "/", true},
      {"a?c", "a/c", true},
      {"dense_?/kernel", "dense_1/kernel", true},
      {"dense_?/kernel", "dense_12/kernel", false},
      // Whole-name, case-sensitive.
      {"abc", "abc", true},
      {"abc", "ABC", false},
      {"abc", "abcd", false},
      {"abc", "xabc", false},
      {"bc", "abc", false},
      // Empty pattern matches only the empty name.
      {"", "", true},
      {"", "a", false},
      // Classes.
      {"[abc]", "b", true},
      {"[abc]", "d", false},
      {"[abc]", "", false},
      {"[!abc]", "d", true},
      {"[!abc]", "a", false},
      {"[a-c]x", "bx", true},
      {"[a-c]x", "dx", false},
      {"[!a-c]", "b", false},
      {"[!a-c]", "z", true},
      {"[a-]", "-", true},
      {"[a-]", "b", false},
      {"[-a]", "-", true},
      {"[z-a]", "m", false},
      {"[a-c-e]", "d", false},
      {"[a-c-e]", "-", true},
      {"[a-c-e]", "e", true},
      {"[^a]", "^", true},  // '^' is not negation in fnmatch
      {"[^a]", "b", false},
      {"layer[0-9]/w", "layer7/w", true},
      {"layer[0-9]/w", "layerx/w", false},
      // ']' first in a class is a member.
      {"[]]", "]", true},
      {"[]a]", "a", true},
      {"[]a]", "]", true},
      {"[]a]", "b", false},
      {"[!]]", "a", true},
      {"[!]]", "]", false},
      // Escaping only through a class.
      {"[*]", "*", true},
      {"[*]", "a", false},
      {"[?]", "?", true},
      {"[?]", "a", false},
      {"[[]", "[", true},
      {"\\*", "\\x", true},  // backslash is an ordinary character
      // An unclosed '[' is a literal.
      {"[", "[", true},
      {"[", "a", false},
      {"a[b", "a[b", true},
      {"a[b", "ab", false},
      {"[!", "[!", true},
      {"[]", "[]", true},
      {"*[", "xx[", true},
      {"a]", "a]", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.name), c.match) << "pattern '" << c.pattern << "' name '" << c.name << "'";
  }
}

TEST(GlobMatch, LongNamesWithManyStarsStayCorrect) {
  std::string name(2000, 'a');
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a", name));
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*b", name));
  EXPECT_TRUE(GlobMatch("a*", name));
  EXPECT_FALSE(GlobMatch(std::string(2001, '?'), name));
  EXPECT_TRUE(GlobMatch(std::string(2000, '?'), name));
}

TEST(GlobLiteral, MatchesExactlyTheName) {
  for (std::string name : {"conv/kernel", "head[0]*", "a?b", "[!x]", "]*[", "*", ""}) {
    const std::string p = GlobLiteral(name);
    EXPECT_TRUE(GlobMatch(p, name)) << name << " as " << p;
    EXPECT_FALSE(GlobMatch(p, name + "x")) << name;
    if (!name.empty()) EXPECT_FALSE(GlobMatch(p, "x" + name.substr(1))) << name;
  }
}

TEST(SplitPatterns, CommasOnly) {
  EXPECT_EQ(SplitPatterns("a/*,b?"), (std::vector<std::string>{"a/*", "b?"}));
  EXPECT_EQ(SplitPatterns("one"), (std::vector<std::string>{"one"}));
  // "--quantize_uint8=" gives the single pattern '', which matches nothing.
  EXPECT_EQ(SplitPatterns(""), (std::vector<std::string>{""}));
  EXPECT_EQ(SplitPatterns("a,,b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(SplitPatterns("a,"), (std::vector<std::string>{"a", ""}));
  // Only commas split: spaces and brackets stay in the pattern.
  EXPECT_EQ(SplitPatterns("[a,b]"), (std::vector<std::string>{"[a", "b]"}));
  EXPECT_EQ(SplitPatterns("x y"), (std::vector<std::string>{"x y"}));
}

// A model with float32 weights under conv*/dense* names plus non-float32
// entries; two groups, to check Plan runs over every group.
class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TestGroup g1, g2;
    g1.weights = {
        testing::Float32Weight("conv1/kernel", "[2]", {1, 2}),
        testing::Float32Weight("conv1/bias", "[1]", {1}),
        testing::Float32Weight("dense/kernel", "[2]", {1, 2}),
        {testing::EntryJson("shape_const", "[2]", "int32"), testing::I32LE({1, 2})},
    };
    g2.weights = {
        testing::Float32Weight("dense/bias", "[1]", {3}),
        {testing::EntryJson("flag", "[1]", "bool"), std::string("\x01", 1)},
        {testing::EntryJson("conv_q", "[2]", "float32",
                            "{\"dtype\": \"uint8\", \"min\": 0.0, \"scale\": 1.0, \"original_dtype\": \"float32\"}"),
         std::string("\x01\x02", 2)},
    };
    testing::PutModel(files_, {g1, g2});
    auto m = Model::Open(files_, "model.json");
    ASSERT_TRUE(m.ok()) << testing::StatusText(m);
    model_.emplace(std::move(m).value());
  }
  Result<std::vector<Target>> Run(const Selection& sel) { return Plan(*model_, sel); }

  static DTypeRule Patterns(std::vector<std::string> p) {
    DTypeRule r;
    r.given = true;
    r.patterns = std::move(p);
    return r;
  }
  static DTypeRule Bare() {
    DTypeRule r;
    r.given = r.fallthrough = true;
    return r;
  }

  MemoryFiles files_;
  std::optional<Model> model_;
};

using T = Target;

TEST_F(PlanTest, NothingGivenKeepsEverything) {
  auto p = Run(Selection{});
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, std::vector<T>(7, T::kKeep));
}

TEST_F(PlanTest, BareFlagQuantizesEveryFloat32ButNothingElse) {
  Selection sel;
  sel.uint8 = Bare();
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  // int32 and bool entries are never quantized; the already-quantized
  // float32 entry is (its logical dtype is float32).
  EXPECT_EQ(*p, (std::vector<T>{T::kUint8, T::kUint8, T::kUint8, T::kKeep, T::kUint8, T::kKeep, T::kUint8}));
}

TEST_F(PlanTest, FallthroughAppliesOnlyToNamesNoPatternMatched) {
  Selection sel;
  sel.float16 = Bare();
  sel.uint8 = Patterns({"conv*"});
  sel.uint16 = Patterns({"dense/k?rnel"});
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, (std::vector<T>{T::kUint8, T::kUint8, T::kUint16, T::kKeep, T::kFloat16, T::kKeep, T::kUint8}));
}

TEST_F(PlanTest, PatternsWithoutFallthroughLeaveOthersAlone) {
  Selection sel;
  sel.uint16 = Patterns({"*/bias"});
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, (std::vector<T>{T::kKeep, T::kUint16, T::kKeep, T::kKeep, T::kUint16, T::kKeep, T::kKeep}));
}

TEST_F(PlanTest, EmptyPatternMatchesNothing) {
  Selection sel;
  sel.uint8 = Patterns({""});
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, std::vector<T>(7, T::kKeep));
}

TEST_F(PlanTest, TwoDTypesMatchingOneNameIsAnError) {
  Selection sel;
  sel.uint8 = Patterns({"conv1/*"});
  sel.float16 = Patterns({"*/kernel"});
  auto p = Run(sel);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = p.status().message();
  EXPECT_NE(m.find("'conv1/kernel'"), std::string::npos) << m;
  EXPECT_NE(m.find("'conv1/*'"), std::string::npos) << m;
  EXPECT_NE(m.find("'*/kernel'"), std::string::npos) << m;
  EXPECT_NE(m.find("uint8 pattern"), std::string::npos) << m;
  EXPECT_NE(m.find("float16 pattern"), std::string::npos) << m;
}

TEST_F(PlanTest, ConflictOnNonFloat32NameIsStillAnError) {
  // The converter matches names before it looks at dtypes.
  Selection sel;
  sel.uint8 = Patterns({"shape_*"});
  sel.uint16 = Patterns({"*_const"});
  auto p = Run(sel);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("'shape_const'"), std::string::npos) << p.status().message();
}

TEST_F(PlanTest, SameDTypeTwiceIsFine) {
  Selection sel;
  sel.uint8 = Patterns({"conv1/*", "*/kernel", "conv1/kernel"});
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, (std::vector<T>{T::kUint8, T::kUint8, T::kUint8, T::kKeep, T::kKeep, T::kKeep, T::kKeep}));
}

TEST_F(PlanTest, TwoFallthroughsAreAnError) {
  Selection sel;
  sel.uint8 = Bare();
  sel.uint16 = Bare();
  auto p = Run(sel);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = p.status().message();
  EXPECT_NE(m.find("fallthrough"), std::string::npos) << m;
  // The library names no CLI flag: the option's own name, as JS and the CLI share it.
  EXPECT_NE(m.find("uint8 and uint16 are both asked for"), std::string::npos) << m;
  EXPECT_EQ(m.find("--"), std::string::npos) << m;
}

TEST_F(PlanTest, WarnsOfWhatDoesNothing) {
  EXPECT_EQ(SelectionWarnings(*model_, Selection{}),
            std::vector<std::string>{"no encoding was asked for (uint8, uint16 or float16): nothing is quantized, "
                                     "the weights are copied as stored"});
  Selection sel;
  sel.uint8 = Patterns({"conv1/*", "nothing*", "flag"});
  sel.float16 = Bare();
  sel.skip = {"dense/bias", "gone"};
  EXPECT_EQ(SelectionWarnings(*model_, sel),
            (std::vector<std::string>{"uint8 pattern 'nothing*' matches no weight",
                                      "uint8 pattern 'flag' matches only weights that are not float32, which are "
                                      "never quantized",
                                      "skip pattern 'gone' matches no weight"}));
  sel.uint8 = Patterns({"conv1/*"});
  sel.skip = {};
  EXPECT_TRUE(SelectionWarnings(*model_, sel).empty());
}

TEST_F(PlanTest, SkipWins) {
  Selection sel;
  sel.uint8 = Bare();
  sel.float16 = Patterns({"conv1/kernel"});
  sel.skip = {"conv1/*", "dense/bias"};
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, (std::vector<T>{T::kKeep, T::kKeep, T::kUint8, T::kKeep, T::kKeep, T::kKeep, T::kUint8}));
}

TEST_F(PlanTest, NonFloat32NeverQuantizedEvenWhenNamed) {
  Selection sel;
  sel.float16 = Patterns({"shape_const", "flag"});
  auto p = Run(sel);
  TFQ_ASSERT_OK(p);
  EXPECT_EQ(*p, std::vector<T>(7, T::kKeep));
}

}  // namespace
}  // namespace tfq
