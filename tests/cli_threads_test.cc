// SPDX-License-Identifier: Apache-2.0
// --threads splits large tensors across threads and transforms small ones
// several at a time: the output bytes must not depend on the thread count
// (and match the single-threaded run), for every encoding, with tensors
// large enough to be split, ragged piece sizes, and batches of small ones.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "cli_util.h"

namespace {

using namespace cli_util;

const std::string kBin = TFJS_QUANT_BIN;

TEST(QuantizeThreads, SameBytesForAnyThreadCount) {
  TempDir tmp;
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.0f, 0.05f);
  std::string bytes;
  json weights = json::array();
  // 300,001 values: above the split threshold, not a multiple of 64; a
  // -0.0 minimum in the second piece and a +0.0 maximum tie in the first.
  for (int t = 0; t < 3; ++t) {
    std::vector<float> v(300001 + 17 * t);
    for (auto& x : v) x = g(rng);
    if (t == 1) {
      for (auto& x : v) x = std::fabs(x);
      v[5] = 0.0f;
      v[200000] = -0.0f;
    }
    std::string b(v.size() * 4, '\0');
    std::memcpy(b.data(), v.data(), b.size());
    bytes += b;
    weights.push_back({{"name", "w" + std::to_string(t)}, {"shape", {v.size()}}, {"dtype", "float32"}});
  }
  // Then small tensors, which go several at a time, one per thread.
  for (int t = 0; t < 20; ++t) {
    std::vector<float> v(10000 + 3 * t);
    for (auto& x : v) x = g(rng) * static_cast<float>(t + 1);
    std::string b(v.size() * 4, '\0');
    std::memcpy(b.data(), v.data(), b.size());
    bytes += b;
    weights.push_back({{"name", "s" + std::to_string(t)}, {"shape", {v.size()}}, {"dtype", "float32"}});
  }
  json m = {{"format", "graph-model"},
            {"modelTopology", {{"node", json::array()}}},
            {"weightsManifest", {{{"paths", {"group1-shard1of1.bin"}}, {"weights", weights}}}}};
  WriteFile(tmp / "in/model.json", m.dump());
  WriteFile(tmp / "in/group1-shard1of1.bin", bytes);
  for (const char* enc : {"--quantize_uint8", "--quantize_uint16", "--quantize_float16"}) {
    std::map<std::string, std::string> first;
    for (const char* threads : {"1", "2", "3", "8"}) {
      fs::path out = tmp / (std::string("out") + threads);
      RunResult r = cli_util::Run(kBin, {"quantize", (tmp / "in").string(), out.string(), enc, "--threads", threads, "--force"});
      ASSERT_EQ(r.code, 0) << r.err;
      auto files = FilesIn(out);
      if (first.empty()) first = files;
      else EXPECT_TRUE(files == first) << enc << " with --threads " << threads << " differs from --threads 1";
    }
  }
  RunResult sync = cli_util::Run(kBin, {"quantize", (tmp / "in").string(), (tmp / "s").string(), "--float16", "--sync"});
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_TRUE(FilesIn(tmp / "s") == FilesIn(tmp / "out1"));  // out1 holds the float16 run
}

}  // namespace
