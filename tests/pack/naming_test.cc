// SPDX-License-Identifier: Apache-2.0
// pack's naming: renames (RE2, with JavaScript's replacement rules), the
// name checks after every step, include/exclude, transposes, and the name
// stem of a standalone manifest. Names come from untrusted files: the
// patterns that made the old backtracking engine hang or crash run here to
// completion (CTest's timeout catches a hang).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pack/rename.h"
#include "tfjs_quant/packed.h"

namespace tfq {
namespace {

std::string Renamed(std::string_view spec, std::string_view name) {
  auto r = Rename::Compile(spec);
  EXPECT_TRUE(r.ok()) << spec << ": " << r.status().message();
  if (!r.ok()) return "<refused>";
  auto out = r->Apply(name, kMaxTensorName);
  EXPECT_TRUE(out.ok()) << spec << " on " << name << ": " << out.status().message();
  return out.ok() ? *out : "<failed>";
}

TEST(Rename, ReplacesAsJavaScriptDoes) {
  // Expected: name.replace(new RegExp(pattern, 'g'), replacement) in Node 20
  // ('gi' for the (?i) case), which is what users of pack's renames know.
  struct Case {
    const char *pattern, *replacement, *name, *want;
  };
  const Case cases[] = {
      {"\\.weight$", "/kernel", "conv1.weight", "conv1/kernel"},
      {"\\.(weight|bias)$", "/$1", "conv1.bias", "conv1/bias"},
      {"^features\\.0\\.", "conv1/", "features.0.weight", "conv1/weight"},
      {"x*", "-", "abc", "-a-b-c-"},
      {"b*", "-", "abc", "-a--c-"},
      {".*", "x", "abc", "xx"},
      {"^(.*)$", "$1$1", "ab", "abab"},
      {"a", "[$&]", "banana", "b[a]n[a]n[a]"},
      {"n", "<$`|$'>", "ana", "a<a|a>a"},
      {"(a)(n)", "$2$1$$", "banana", "bna$na$a"},
      {"(a)", "$12", "a", "a2"},
      {"(a)", "$0$9$x$", "a", "$0$9$x$"},
      {"(((((((((((a)))))))))))", "$11$10", "a", "aa"},
      {"é", "e", "café.é", "cafe.e"},
      {"", "_", "é1", "_é_1_"},
      {"(?i)CONV", "conv", "Conv1.CONV2", "conv1.conv2"},
      {"\\d+", "#", "layer12.block3", "layer#.block#"},
      {"(x)?y", "[$1]", "y", "[]"},
      {"^", "st/", "w", "st/w"},
      {"$", "/kernel", "w", "w/kernel"},
      {"\\b", "|", "ab cd", "|ab| |cd|"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Renamed(std::string(c.pattern) + "=>" + c.replacement, c.name), c.want)
        << "'" << c.pattern << "' => '" << c.replacement << "' on '" << c.name << "'";
  }
}

TEST(Rename, PatternsThatBacktrackingEnginesCannotFinish) {
  // Each of these ran for minutes (time doubling per 'a') or died of
  // SIGSEGV (the nested groups) under std::regex on names this long.
  const std::string a4095 = std::string(4095, 'a') + "!";
  EXPECT_EQ(Renamed("(a+)+$=>x", std::string(40, 'a') + "!"), std::string(40, 'a') + "!");
  EXPECT_EQ(Renamed("(a+)+$=>x", a4095), a4095);
  EXPECT_EQ(Renamed("(a|aa)*$=>x", std::string(4000, 'a') + "!"), std::string(4000, 'a') + "!x");
  EXPECT_EQ(Renamed("(a|aa)*b=>x", std::string(4096, 'a')), std::string(4096, 'a'));
  EXPECT_EQ(Renamed("(((((((((a)))))))))*=>x", std::string(4001, 'a')), "xx");
  EXPECT_EQ(Renamed("^(a?){25}(a){25}$=>x", std::string(25, 'a')), "x");
}

TEST(Rename, RefusesWhatNoLinearEngineCanDo) {
  for (const char* spec : {"(a)\\1=>x", "a(?=b)=>x", "(?<!a)b=>x", "(a=>x", "a{1001}=>x", "[z-a]=>x"}) {
    auto r = Rename::Compile(spec);
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_NE(r.status().message().find("not a valid regular expression"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("docs/pack.md"), std::string::npos) << r.status().message();
  }
  auto no_arrow = Rename::Compile("conv1");
  ASSERT_FALSE(no_arrow.ok());
  EXPECT_EQ(no_arrow.status().message(), "rename 'conv1': expected 'REGEX=>REPLACEMENT'");
  auto long_spec = Rename::Compile(std::string(5000, 'a') + "=>b");
  ASSERT_FALSE(long_spec.ok());
  EXPECT_EQ(long_spec.status().code(), StatusCode::kInvalidArgument);
  // Too large to compile within RE2's memory bound (8 MiB).
  auto big = Rename::Compile("(?:\\pL{30}|\\pN{30}|\\pS{30}){10}=>b");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("pattern too large"), std::string::npos) << big.status().message();
  // Within it, but a program far larger than any rename needs.
  auto huge = Rename::Compile("(?:\\pL*(?:\\pL|\\pN){150}x)|a=>y");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("instructions; a rename may take 10000"), std::string::npos)
      << huge.status().message();
  auto bytes = Rename::Compile("a=>\xff");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().message(), "rename 'a=>\\xff': the replacement is not UTF-8");
}

TEST(Rename, TakesAtMost256MatchesPerName) {
  // '.*c|a' on a name of 'a's: every 'a' is a match, and each search first
  // tries '.*c' to the end of the name: n searches of up to n bytes. At
  // most 256 matches keep that linear in the name.
  auto r = Rename::Compile(".*c|a=>b");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->Apply(std::string(256, 'a'), 4096), std::string(256, 'b'));
  auto many = r->Apply(std::string(4096, 'a'), 4096);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(many.status().message().find("more than 256 times; anchor it"), std::string::npos) << many.status().message();
  // Empty matches count too ('x*' matches between every two characters).
  auto empty = Rename::Compile("x*=>-");
  EXPECT_EQ(*empty->Apply(std::string(255, 'z'), 4096).value().begin(), '-');
  EXPECT_FALSE(empty->Apply(std::string(256, 'z'), 4096).ok());
}

TEST(Rename, StopsAsSoonAsANameOutgrowsItsBound) {
  auto r = Rename::Compile("^(.*)$=>$1$1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->Apply(std::string(2048, 'x'), 4096), std::string(4096, 'x'));
  auto over = r->Apply(std::string(2049, 'x'), 4096);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("longer than 4096 bytes"), std::string::npos) << over.status().message();
  // An empty match at every position, each replaced by 100 bytes.
  auto wide = Rename::Compile("=>" + std::string(100, 'y'));
  ASSERT_TRUE(wide.ok());
  auto wider = wide->Apply(std::string(100, 'z'), 4096);
  ASSERT_FALSE(wider.ok());
  EXPECT_NE(wider.status().message().find("longer than 4096 bytes"), std::string::npos) << wider.status().message();
}

SourceTensor Tensor(std::string name, std::vector<int64_t> shape = {2}, std::string origin = "m.safetensors") {
  SourceTensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.origin = std::move(origin);
  return t;
}

std::vector<std::string> Names(const std::vector<PackEntry>& entries) {
  std::vector<std::string> out;
  for (const PackEntry& e : entries) out.push_back(e.name);
  return out;
}

TEST(PlanPackEntries, ChecksNamesAfterEveryRename) {
  const std::vector<SourceTensor> sources = {Tensor(std::string(1500, 'n'))};
  PackNaming one;
  one.renames = {"^(.*)$=>$1$1"};
  auto ok = PlanPackEntries(sources, one);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ((*ok)[0].name, std::string(3000, 'n'));
  PackNaming two = one;
  two.renames.push_back("^(.*)$=>$1$1");  // 6,000 bytes: refused at the second rename, not later
  auto grown = PlanPackEntries(sources, two);
  ASSERT_FALSE(grown.ok());
  EXPECT_EQ(grown.status().code(), StatusCode::kInvalidArgument);
  PackNaming prefixed = one;
  prefixed.prefix = std::string(2000, 'p');
  EXPECT_FALSE(PlanPackEntries(sources, prefixed).ok());

  PackNaming emptied;
  emptied.renames = {"^.*$=>"};
  auto empty = PlanPackEntries(std::vector<SourceTensor>{Tensor("w")}, emptied);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "rename '^.*$=>' leaves 'w' from m.safetensors with an empty name");

  // \C matches one byte: a rename can cut a character in two. The rename
  // is at fault, not the input.
  PackNaming cut;
  cut.renames = {"^\\C=>"};
  auto broken = PlanPackEntries(std::vector<SourceTensor>{Tensor("\xc3\xa9t\xc3\xa9")}, cut);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(broken.status().message(), "rename '^\\C=>' makes '\xc3\xa9t\xc3\xa9' from m.safetensors into '\\xa9t\xc3\xa9', which is not UTF-8");
  PackNaming bad_prefix;
  bad_prefix.prefix = "\xff/";
  auto prefixed_badly = PlanPackEntries(std::vector<SourceTensor>{Tensor("w")}, bad_prefix);
  ASSERT_FALSE(prefixed_badly.ok());
  EXPECT_EQ(prefixed_badly.status().message(), "the prefix '\\xff/' is not UTF-8");
}

TEST(PlanPackEntries, ATensorWithoutANameIsAnErrorNamingTheFile) {
  // It used to be dropped by the CLI's default exclude (the empty pattern).
  const std::vector<SourceTensor> sources = {Tensor("", {2}, "weights.npz: '.npy'"), Tensor("w")};
  auto r = PlanPackEntries(sources, PackNaming{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFormatError);
  EXPECT_EQ(r.status().message(), "weights.npz: '.npy': a tensor has an empty name");
  // Left out on purpose, it is no error.
  PackNaming only_w;
  only_w.include = {"w"};
  auto w = PlanPackEntries(sources, only_w);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(Names(*w), std::vector<std::string>{"w"});
}

TEST(PlanPackEntries, SaysWhyNothingIsLeft) {
  auto none = PlanPackEntries(std::vector<SourceTensor>{}, PackNaming{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFormatError);
  PackNaming all_out;
  all_out.exclude = {"*"};
  auto out = PlanPackEntries(std::vector<SourceTensor>{Tensor("a"), Tensor("b")}, all_out);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "no tensor left to pack: the include and exclude patterns leave out all 2 tensors");
}

TEST(PlanPackEntries, TransposesAndTheTorchLayout) {
  PackNaming n;
  n.transposes = {"fc.weight=1,0"};
  n.torch_layout = true;
  n.prefix = "net/";
  const std::vector<SourceTensor> sources = {Tensor("conv.weight", {8, 3, 3, 3}), Tensor("fc.weight", {10, 8}),
                                             Tensor("bn.num_batches_tracked", {})};
  auto r = PlanPackEntries(sources, n);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"net/conv.weight", "net/fc.weight"}));
  EXPECT_EQ((*r)[0].perm, (std::vector<int>{2, 3, 1, 0}));
  EXPECT_EQ((*r)[1].perm, (std::vector<int>{1, 0}));
  n.transposes = {"*=1,x"};
  auto bad = PlanPackEntries(sources, n);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "transpose '*=1,x': expected 'PATTERN=PERM', e.g. '*.weight=2,3,1,0'");
}

TEST(CheckManifestStem, TakesOnlyNamesEveryReaderTakesBack) {
  EXPECT_TRUE(CheckManifestStem("face_recognition_model").ok());
  EXPECT_TRUE(CheckManifestStem("ported-v2.1").ok());
  EXPECT_TRUE(CheckManifestStem(std::string(233, 'a')).ok());  // 255 bytes with -weights_manifest.json
  EXPECT_EQ(CheckManifestStem(std::string(234, 'a')).code(), StatusCode::kInvalidArgument);
  for (const char* stem : {"", "face?v=2", "a#b", "c:d", "a\nb", "a\x1b[31mb", "a/b", "a\\b", "\xc2\x85"}) {
    Status s = CheckManifestStem(stem);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "'" << stem << "'";
  }
  EXPECT_EQ(CheckManifestStem("face?v=2").message(),
            "the name stem 'face?v=2' is refused: 'face?v=2-weights_manifest.json' holds '?' or '#', which a browser "
            "would take for a query or a fragment");
}

}  // namespace
}  // namespace tfq
