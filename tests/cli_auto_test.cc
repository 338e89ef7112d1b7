// SPDX-License-Identifier: Apache-2.0
// `tfjs-quant auto` as a user runs it, with --eval-cmd evaluators that need
// no Node.js: the user's command failing, silent or printing junk; an
// impossible budget; a score that the search must protect (one planted
// fragile tensor, scored with `tfjs-quant diff`); and the written model
// measured once more at the end. The TensorFlow.js evaluator is tested in
// tests/node/auto.test.mjs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "cli_util.h"

namespace {

using namespace cli_util;

const std::string kBin = TFJS_QUANT_BIN;

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "missing: " << (needle) << "\nin:\n" << (haystack)

std::string F32(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

class AutoCli : public ::testing::Test {
 protected:
  TempDir tmp;
  fs::path model = tmp / "in";

  // Six float32 tensors of 300 values; "fragile" has two huge values that
  // flatten the rest of it at uint8.
  void SetUp() override {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    std::string bytes;
    json weights = json::array();
    for (int t = 0; t < 6; ++t) {
      std::vector<float> v(300);
      for (auto& x : v) x = u(rng);
      std::string name = t == 4 ? "fragile" : "w" + std::to_string(t);
      if (t == 4) {
        for (auto& x : v) x *= 0.001f;
        v[0] = 40;
        v[1] = -40;
      }
      bytes += F32(v);
      weights.push_back({{"name", name}, {"shape", {300}}, {"dtype", "float32"}});
    }
    json m = {{"format", "graph-model"},
              {"modelTopology", {{"node", json::array()}}},
              {"weightsManifest", {{{"paths", {"group1-shard1of1.bin"}}, {"weights", weights}}}}};
    WriteFile(model / "model.json", m.dump());
    WriteFile(model / "group1-shard1of1.bin", bytes);
  }

  RunResult Auto(std::vector<std::string> args) {
    std::vector<std::string> all{"auto", model.string()};
    all.insert(all.end(), args.begin(), args.end());
    return cli_util::Run(kBin, all);
  }
};

TEST_F(AutoCli, FailingCommandSaysSoWithItsStderr) {
  fs::path out = tmp / "out";
  RunResult r = Auto({out.string(), "--budget", "score>=0.5", "--eval-cmd", "echo boom on stderr >&2; exit 3"});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_HAS(r.err, "tfjs-quant: error: --eval-cmd on candidate #1");
  EXPECT_HAS(r.err, "failed with exit code 3");
  EXPECT_HAS(r.err, "boom on stderr");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(HiddenTempsBeside(out), std::vector<std::string>{});
}

TEST_F(AutoCli, SilentCommand) {
  fs::path out = tmp / "out";
  RunResult r = Auto({out.string(), "--budget", "score>=0.5", "--eval-cmd", "true"});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_HAS(r.err, "printed nothing on stdout: it must print the score, a number, on its last line");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(AutoCli, CommandPrintingNoNumber) {
  RunResult r = Auto({(tmp / "out").string(), "--budget", "score>=0.5", "--eval-cmd", "echo 0.9; echo accuracy: high"});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_HAS(r.err, "its last line of stdout is not a finite number: 'accuracy: high'");
}

TEST_F(AutoCli, ImpossibleBudget) {
  fs::path out = tmp / "out";
  RunResult r = Auto({out.string(), "--budget", "score>=0.9", "--eval-cmd", "echo 0.5"});
  EXPECT_EQ(r.code, 8) << r.err;
  EXPECT_HAS(r.err, "the budget 'score>=0.9' cannot be met: with every tensor float32 (as stored) the model measures "
                    "score 0.5");
  EXPECT_FALSE(fs::exists(out));
  // Reference budgets: exact float32 outputs cannot reach cosine 1.5 either.
  // No evaluator is needed to know that.
  RunResult c = Auto({out.string(), "--budget", "cosine>=1.5", "--evaluator", (tmp / "none").string()});
  EXPECT_EQ(c.code, 8) << c.err;
  EXPECT_HAS(c.err, "the budget 'cosine>=1.5' cannot be met: with every tensor float32 (as stored) the outputs are "
                    "exact (cosine 1)");
}

TEST_F(AutoCli, BudgetAndEvaluatorMismatchAreUsageErrors) {
  RunResult a = Auto({(tmp / "o").string(), "--budget", "score>=1"});
  EXPECT_EQ(a.code, 2);
  EXPECT_HAS(a.err, "bounds 'score', which comes from --eval-cmd");
  RunResult b = Auto({(tmp / "o").string(), "--budget", "sqnr>=30", "--eval-cmd", "echo 1"});
  EXPECT_EQ(b.code, 2);
  EXPECT_HAS(b.err, "with --eval-cmd the budget bounds the number it prints");
  RunResult c = Auto({(tmp / "o").string(), "--budget", "snr>=30"});
  EXPECT_EQ(c.code, 2);
  EXPECT_HAS(c.err, "unknown metric 'snr'");
}

TEST_F(AutoCli, MissingEvaluatorPackageSaysWhatToRun) {
  fs::create_directories(tmp / "pkg/bin");
  WriteFile(tmp / "pkg/bin/tfjs-quant-eval.mjs", "");
  RunResult r = Auto({(tmp / "o").string(), "--budget", "sqnr>=30", "--evaluator", (tmp / "pkg").string()});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_HAS(r.err, "has no dependencies installed: run `npm ci --prefix " + (tmp / "pkg").string() + "`");
  RunResult n = Auto({(tmp / "o").string(), "--budget", "sqnr>=30", "--evaluator", (tmp / "nowhere").string()});
  EXPECT_EQ(n.code, 7) << n.err;
  EXPECT_HAS(n.err, "the TensorFlow.js evaluator package was not found");
  EXPECT_FALSE(fs::exists(tmp / "o"));
}

// A score that all-uint8 already meets: the float32 model, all-uint8, and
// then the written model are measured; nothing is assumed.
TEST_F(AutoCli, WrittenModelIsMeasuredAgain) {
  fs::path out = tmp / "out", log = tmp / "calls.log";
  RunResult r = Auto({out.string(), "--budget", "score>=0.95", "--json", "--eval-cmd",
                      "echo {model} >> " + log.string() + "; echo 0.99"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> calls;
  std::istringstream s(ReadFile(log));
  for (std::string line; std::getline(s, line);) calls.push_back(line);
  ASSERT_EQ(calls.size(), 3u) << ReadFile(log);
  EXPECT_EQ(calls.back(), (out / "model.json").string());
  json j = json::parse(r.out);
  EXPECT_EQ(j["evaluations"], 2);
  EXPECT_EQ(j["metrics"]["final"]["score"], 0.99);
  EXPECT_EQ(j["budget_holds"], true);
  for (const auto& t : j["tensors"]) EXPECT_EQ(t["choice"], "uint8") << t.dump();
}

// The user's score is the fragile tensor's own SQNR, read from `tfjs-quant
// diff`: the search must keep exactly that tensor above uint8.
TEST_F(AutoCli, EvalCmdProtectsThePlantedFragileTensor) {
  fs::path out = tmp / "out";
  std::string cmd = kBin + " diff " + model.string() +
                    " {model} | awk '$1==\"fragile\" { print ($6==\"exact\") ? 999 : $6 }'";
  RunResult r = Auto({out.string(), "--budget", "score>=60", "--json", "--eval-cmd", cmd});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "fragile") EXPECT_NE(t["choice"], "uint8") << t.dump();
    else EXPECT_EQ(t["choice"], "uint8") << t.dump();
  }
  EXPECT_GE(j["metrics"]["final"]["score"].get<double>(), 60);
  EXPECT_LT(j["metrics"]["all_uint8"]["score"].get<double>(), 60);
  EXPECT_EQ(j["inferences"], nullptr);  // unknown for a user's command
  // The written model agrees with the report.
  json m = json::parse(ReadFile(out / "model.json"));
  for (const auto& w : m["weightsManifest"][0]["weights"]) {
    std::string dtype = w.contains("quantization") ? w["quantization"]["dtype"].get<std::string>() : "float32";
    if (w["name"] == "fragile") EXPECT_NE(dtype, "uint8");
    else EXPECT_EQ(dtype, "uint8");
  }
}

}  // namespace
